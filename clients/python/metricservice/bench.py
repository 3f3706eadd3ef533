"""python -m metricservice.bench: what one log() call costs the training loop (offline mode, so
the network plays no part), and how fast the sender drains a live service when one is set."""

import logging
import os
import sys
import tempfile
import time

from . import init


def main():
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    logging.getLogger("metricservice").setLevel(logging.ERROR)  # the offline run's spool notice
    with tempfile.TemporaryDirectory() as spool:
        run = init(url="http://127.0.0.1:9", mode="offline", spool_dir=spool, quiet=True, queue_size=calls + 1)
        metrics = {"train/loss": 0.5, "train/acc": 0.9, "lr": 1e-3}
        started = time.perf_counter()
        for step in range(calls):
            run.log(metrics, step=step)
        per_call = (time.perf_counter() - started) / calls
        run.finish()
    print("log() of 3 metrics: %.2f us per call (%d calls)" % (per_call * 1e6, calls))
    if os.environ.get("METRICSERVICE_URL"):
        run = init(quiet=True, queue_size=calls + 1)
        started, cpu = time.perf_counter(), time.process_time()
        for step in range(calls):
            run.log(metrics, step=step)
        run.finish(timeout=600)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print("online: %d points sent in %.1f s, %.0f points/s; this process used %.2f us of CPU per point (log() and sending)"
              % (run.sent, elapsed, run.sent / elapsed, cpu * 1e6 / max(run.sent, 1)))


if __name__ == "__main__":
    main()
