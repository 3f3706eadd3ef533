"""MetricService client: log training metrics without slowing training.

    import metricservice
    with metricservice.init(name="resnet lr=3e-4", config={"lr": 3e-4}) as run:  # METRICSERVICE_URL, METRICSERVICE_API_KEY
        for step in range(1000):
            run.log({"train/loss": loss, "acc": acc}, step=step)
"""

from ._client import Client, MetricServiceError
from ._run import Run

__version__ = "0.1.0"
__all__ = ["Client", "MetricServiceError", "Run", "init"]


def init(url=None, api_key=None, run_id=None, mode="online", **options):
    """Start (or continue, with `run_id`) a run. `mode="offline"` writes every batch to the spool
    directory (METRICSERVICE_DIR, default ~/.metricservice/spool) for `python -m metricservice sync`.
    `system_metrics=True` also sends this host's CPU, memory, disk, network and GPUs every `interval` s.
    `name`, `tags` and `config` describe the run (see Run.describe); it is marked running, and
    finished (or failed, when a `with` block raises) at the end."""
    return Run(url=url, api_key=api_key, run_id=run_id, mode=mode, **options)
