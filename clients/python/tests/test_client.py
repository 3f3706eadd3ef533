"""The client against the real service: exactly once, across outages and retries."""

import collections
import http.server
import io
import json
import logging
import math
import os
import sys
import threading
import time
import types
import uuid

import metricservice
from metricservice import __main__ as cli
from metricservice import _delivery, _spool, _system, _wire

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port here


def test_100k_points_logged_from_a_tight_loop_arrive_exactly_once(service, tmp_path):
    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True)
    steps = 25_000
    for step in range(steps):
        run.log({"loss": 1.0 / (step + 1), "acc": step / steps,
                 "special": math.nan if step % 3 == 0 else (math.inf if step % 3 == 1 else -math.inf),
                 "lr": 1e-3})
    run.finish(timeout=120)

    assert run.sent == 4 * steps
    assert run.spool.batches == 0
    for name in ("loss", "acc", "lr"):
        assert service.stats(run.run_id, name)["count"] == steps
    special = service.stats(run.run_id, "special")
    assert (special["count"], special["nan_count"], special["inf_count"]) == (steps, 8334, 16666)
    first = service.history(run.run_id, "loss", limit=3)
    assert [p["step"] for p in first] == [0, 1, 2]
    assert first[1]["value"] == 0.5


def test_times_are_sent_with_an_offset_and_kept_to_the_microsecond(service, tmp_path, monkeypatch):
    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True)
    monkeypatch.setattr(time, "time_ns", lambda: 1_764_950_400_123_456_789)  # 2025-12-05T16:00:00.123456789Z
    run.log({"loss": 0.25}, step=7)
    monkeypatch.undo()
    run.finish()

    assert _wire.utc_time(1_764_950_400_123_456_789) == "2025-12-05T16:00:00.123456+00:00"
    [point] = service.history(run.run_id, "loss")
    assert (point["step"], point["value"], point["time"]) == (7, 0.25, "2025-12-05T16:00:00.123456Z")


def test_steps_count_on_from_the_last_given_step(service, tmp_path):
    with metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True) as run:
        run.log({"x": 1})
        run.log({"x": 2})
        run.log({"x": 3}, step=10)
        run.log({"x": 4})
    assert [p["step"] for p in service.history(run.run_id, "x")] == [0, 1, 10, 11]


def test_a_refused_metric_is_reported_once_and_every_other_metric_is_stored(service, tmp_path, caplog):
    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True)
    for step in range(3000):
        run.log({"good": float(step), "bad\x00name": 1.0}, step=step)
    run.finish()

    assert service.stats(run.run_id, "good")["count"] == 3000
    assert len(run.delivery.refused) == 1
    item, message = run.delivery.refused[0]
    assert item == "bad\x00name" and "metric_name" in message
    assert sum("refused" in r.getMessage() for r in caplog.records) == 1


def test_a_batch_resent_under_its_key_or_a_new_one_is_stored_once(service):
    run_id = str(uuid.uuid4())
    batch = [{"run_id": run_id, "metric_name": "m", "step": s, "value": float(s), "time": _wire.utc_time(1_700_000_000_000_000_000 + s * 1000)}
             for s in range(100)]
    delivery = _delivery.Delivery(service.url, service.api_key)
    key = uuid.uuid4().hex
    for idempotency_key in (key, key, None):
        assert delivery.send(list(batch), idempotency_key) == 100
    assert service.stats(run_id, "m")["count"] == 100


def test_server_down_at_init_spools_and_sync_uploads_exactly_once_however_often_it_runs(service, tmp_path, capsys):
    run = metricservice.init(CLOSED, service.api_key, spool_dir=str(tmp_path), quiet=True, offline_after=0.2)
    for step in range(2500):
        run.log({"loss": float(step), "acc": math.inf}, step=step)
    run.finish(timeout=5)
    assert run.sent == 0
    assert run.spool.points == 5000

    lines = [json.loads(line) for line in open(run.spool.path, encoding="utf-8")]
    assert all(len(line["idempotency_key"]) == 32 for line in lines)
    assert cli.main(["sync", str(tmp_path), "--url", service.url, "--api-key", service.api_key]) == 0
    assert "synced 5000 points" in capsys.readouterr().err
    assert service.stats(run.run_id, "loss")["count"] == 2500
    assert service.stats(run.run_id, "acc")["inf_count"] == 2500

    assert cli.main(["sync", str(tmp_path), "--url", service.url, "--api-key", service.api_key]) == 0
    assert "synced 0 points in 0 batches" in capsys.readouterr().err
    os.remove(run.spool.path + _spool.SENT_SUFFIX)  # as if the process died before recording it
    assert cli.main(["sync", str(tmp_path), "--url", service.url, "--api-key", service.api_key]) == 0
    assert service.stats(run.run_id, "loss")["count"] == 2500


def test_sync_with_the_service_away_says_so_and_keeps_every_batch(service, tmp_path, capsys, monkeypatch):
    run = metricservice.init(service.url, service.api_key, mode="offline", spool_dir=str(tmp_path), quiet=True)
    run.log({"loss": 1.0})
    run.finish()
    monkeypatch.setattr(cli._delivery.Delivery, "_wait", lambda self, attempt, retry_after: None)
    monkeypatch.setattr(cli, "sync", _sync_giving_up_at_once(cli.sync))
    assert cli.main(["sync", str(tmp_path), "--url", CLOSED]) == 2
    assert "unreachable" in capsys.readouterr().err
    assert len(list(_spool.pending(str(tmp_path)))) == 1


def _sync_giving_up_at_once(sync):
    def run(directory, url, api_key, out=None):
        original = _delivery.Delivery.send
        _delivery.Delivery.send = lambda self, metrics, key=None, give_up=None: original(self, metrics, key, lambda waited: True)
        try:
            return sync(directory, url, api_key)
        finally:
            _delivery.Delivery.send = original
    return run


def test_a_full_queue_spills_to_the_spool_instead_of_dropping_or_blocking(service, tmp_path):
    run = metricservice.init(CLOSED, service.api_key, spool_dir=str(tmp_path), quiet=True, queue_size=10, offline_after=0.2)
    started = time.perf_counter()
    for step in range(1000):
        run.log({"loss": 1.0}, step=step)
    assert time.perf_counter() - started < 1.0, "log() never waits for the network"
    run.finish(timeout=5)
    assert run.spool.points == 1000


def test_the_package_builds_into_a_wheel_with_the_standard_library_alone(tmp_path):
    import importlib.util
    import zipfile

    backend_path = os.path.join(os.path.dirname(__file__), "..", "_build", "stdlib_backend.py")
    spec = importlib.util.spec_from_file_location("stdlib_backend", backend_path)
    backend = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(backend)
    assert backend.get_requires_for_build_wheel() == []

    with zipfile.ZipFile(tmp_path / backend.build_wheel(str(tmp_path))) as wheel:
        names = wheel.namelist()
        record = wheel.read("metricservice-0.1.0.dist-info/RECORD").decode()
    assert {"metricservice/__init__.py", "metricservice/_run.py", "metricservice/__main__.py"} <= set(names)
    assert all(name in record for name in names)


def test_values_that_are_not_numbers_are_reported_once_and_the_rest_is_sent(service, tmp_path, caplog):
    with metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True) as run:
        for step in range(10):
            run.log({"loss": 0.5, "label": "cat", "huge": 10 ** 400, "flag": True, "count": 3}, step=step)
    assert service.stats(run.run_id, "loss")["count"] == 10
    assert service.stats(run.run_id, "count")["count"] == 10
    assert sorted(r.getMessage().split("'")[1] for r in caplog.records if "is not sent" in r.getMessage()) == ["flag", "huge", "label"]
    assert run.spool.batches == 0


def test_the_client_reads_back_what_was_logged(service, tmp_path):
    with metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True) as run:
        for step in range(100):
            run.log({"loss": math.nan if step == 50 else float(step), "acc": math.inf if step == 99 else 0.5}, step=step)
    client = metricservice.Client(service.url, service.api_key)

    history = client.history(run.run_id, "loss", limit=100)
    assert [p["step"] for p in history] == list(range(100))
    assert math.isnan(history[50]["value"]) and history[49]["value"] == 49.0
    assert client.latest(run.run_id, "acc")["value"] == math.inf
    stats = client.stats(run.run_id, "loss")
    assert (stats["count"], stats["nan_count"], stats["max_value"]) == (100, 1, 99.0)
    buckets = client.downsampled(run.run_id, "loss", points=10)
    assert sum(b["count"] for b in buckets) == 100 and buckets[-1]["last"] == 99.0
    assert client.system_metrics(run.run_id) == []
    assert any(r["run_id"] == run.run_id for r in client.runs(limit=1000))

    try:
        client.latest(run.run_id, "never-logged")
        raise AssertionError("a missing metric is an error")
    except metricservice.MetricServiceError as error:
        assert error.status == 404 and "never-logged" in str(error)


def test_a_dict_refilled_after_log_does_not_change_what_was_logged_and_log_after_finish_is_refused(service, tmp_path):
    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True)
    metrics = {}
    for step in range(50):
        metrics["loss"] = float(step)
        run.log(metrics, step=step)
    run.finish()

    assert [p["value"] for p in service.history(run.run_id, "loss")] == [float(s) for s in range(50)]
    try:
        run.log({"loss": 1.0})
        raise AssertionError("a finished run refuses log()")
    except RuntimeError as error:
        assert "finished" in str(error)


def test_the_monitor_sends_host_and_gpu_metrics_with_their_device_metadata(service, tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\necho '0, 87, 4096, 16384, 71, 215.5'\necho '1, 3, [N/A], 16384, 40, 60.25'\n")
    (fake / "nvidia-smi").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (fake, os.environ["PATH"]))

    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True, system_metrics=True, interval=0.3)
    time.sleep(1.2)
    run.finish()

    rows = metricservice.Client(service.url, service.api_key).system_metrics(run.run_id, limit=1000)
    kinds = {r["metric_type"] for r in rows}
    assert {"cpu", "cpu_core", "memory", "disk", "network_sent", "network_recv", "gpu_util", "gpu_memory", "gpu_temp", "gpu_power"} <= kinds
    gpu = {(r["metric_type"], json.dumps(r["metadata"], sort_keys=True)): r["value"] for r in rows if r["metric_type"].startswith("gpu")}
    assert gpu[("gpu_util", '{"gpu": 0}')] == 87.0 and gpu[("gpu_memory", '{"gpu": 0}')] == 25.0
    assert gpu[("gpu_temp", '{"gpu": 1}')] == 40.0 and gpu[("gpu_power", '{"gpu": 1}')] == 60.25
    assert ("gpu_memory", '{"gpu": 1}') not in gpu, "a reading of [N/A] is left out"
    assert all(0.0 <= r["value"] <= 100.0 for r in rows if r["metric_type"] in ("cpu", "cpu_core", "memory", "disk"))
    assert {json.dumps(r["metadata"]) for r in rows if r["metric_type"] == "cpu_core"} >= {'{"core": 0}'}


def test_with_psutil_installed_the_monitor_reads_it_instead_of_proc(monkeypatch):
    # psutil is not installed here, so a stand-in with psutil's calls and field names plays it.
    times = collections.namedtuple("scputimes", "user system idle iowait")
    readings = {False: iter([times(100, 0, 100, 0), times(150, 0, 150, 0)]),  # all cores: 50 % busy since
                True: iter([[times(50, 0, 50, 0), times(10, 0, 10, 0)], [times(60, 0, 90, 0), times(40, 0, 20, 0)]])}
    cpu_times = lambda percpu=False: next(readings[percpu])  # noqa: E731
    nic = lambda sent, received: types.SimpleNamespace(bytes_sent=sent, bytes_recv=received)  # noqa: E731
    traffic = iter([{"lo": nic(10**9, 10**9), "eth0": nic(0, 0)}, {"lo": nic(2 * 10**9, 2 * 10**9), "eth0": nic(1000, 3000)}])
    fake = types.SimpleNamespace(
        cpu_times=cpu_times,
        net_io_counters=lambda pernic=False: next(traffic),
        virtual_memory=lambda: types.SimpleNamespace(percent=42.5),
        disk_usage=lambda path: types.SimpleNamespace(percent=73.0))
    monkeypatch.setitem(sys.modules, "psutil", fake)
    monkeypatch.setattr(_system, "gpus", lambda: [])

    sampler = _system.Sampler()
    rows = {(kind, json.dumps(meta)): value for kind, value, meta in sampler.sample()}

    assert isinstance(sampler.host, _system._Psutil)
    assert (rows[("cpu", "null")], rows[("cpu_core", '{"core": 0}')], rows[("cpu_core", '{"core": 1}')]) == (50.0, 20.0, 75.0)
    assert (rows[("memory", "null")], rows[("disk", "null")]) == (42.5, 73.0)
    seconds_ratio = rows[("network_recv", "null")] / rows[("network_sent", "null")]
    assert abs(seconds_ratio - 3.0) < 1e-9, "loopback traffic is left out, as from /proc"


def test_a_service_answering_503_for_too_long_sends_the_run_to_the_spool_and_sync_delivers_it(service, tmp_path):
    class Unavailable(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    down = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unavailable)
    threading.Thread(target=down.serve_forever, daemon=True).start()
    try:
        run = metricservice.init("http://127.0.0.1:%d" % down.server_port, service.api_key, spool_dir=str(tmp_path),
                                 quiet=True, offline_after=2)
        for step in range(500):
            run.log({"loss": float(step)})
        run.finish(timeout=10)
    finally:
        down.shutdown()

    assert run.delivery.retried[503] > 0
    assert run.spool.points == 500
    cli.sync(str(tmp_path), service.url, service.api_key, out=io.StringIO())
    assert service.stats(run.run_id, "loss")["count"] == 500


def test_a_refused_key_keeps_the_run_in_the_spool_for_a_sync_with_a_key_that_works(service, tmp_path, caplog, capsys):
    caplog.set_level(logging.WARNING, "metricservice")
    run = metricservice.init(service.url, "not-a-key", spool_dir=str(tmp_path), quiet=True)
    for step in range(2500):
        run.log({"loss": float(step)})
    run.finish()

    assert run.spool.points == 2500 and run.sent == 0
    assert sum("refused the API key" in r.getMessage() for r in caplog.records) == 1
    assert cli.main(["sync", str(tmp_path), "--url", service.url, "--api-key", "still-not-a-key"]) == 2
    assert "refused the API key" in capsys.readouterr().err
    cli.sync(str(tmp_path), service.url, service.api_key, out=io.StringIO())
    assert service.stats(run.run_id, "loss")["count"] == 2500


def test_a_run_is_described_running_then_finished_or_failed_and_found_by_name(service, tmp_path):
    name = "py-%s lr=3e-4" % uuid.uuid4().hex[:8]
    with metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True,
                            name=name, tags=["py", "sweep"], config={"lr": 3e-4, "layers": [64, 64], "out": tmp_path}) as run:
        run.log({"loss": 0.5})
        run.describe(tags=["py", "sweep", "best"])
    described = service.get("/api/v1/runs/%s" % run.run_id)
    assert (described["name"], described["tags"], described["status"]) == (name, ["py", "sweep", "best"], "finished")
    assert described["config"] == {"lr": 3e-4, "layers": [64, 64], "out": str(tmp_path)}, "a value JSON cannot hold goes as text"
    assert described["ended_at"] is not None and described["point_count"] == 1
    found = metricservice.Client(service.url, service.api_key).runs(search=name.split()[0], tag="best")
    assert [r["run_id"] for r in found] == [run.run_id]
    assert metricservice.Client(service.url, service.api_key).run(run.run_id)["name"] == name

    try:
        with metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True, name=name + " crashed") as failed:
            failed.log({"loss": 1.0})
            raise RuntimeError("diverged")
    except RuntimeError:
        pass
    assert service.get("/api/v1/runs/%s" % failed.run_id)["status"] == "failed"


def test_a_refused_description_is_reported_and_the_points_are_still_stored(service, tmp_path, caplog):
    run = metricservice.init(service.url, service.api_key, spool_dir=str(tmp_path), quiet=True, name="x" * 201)
    run.log({"loss": 0.5})
    run.finish()

    assert service.stats(run.run_id, "loss")["count"] == 1
    assert [item for item, _ in run.delivery.refused] == ["the run's description"]
    assert "name" in run.delivery.refused[0][1]
    assert service.get("/api/v1/runs/%s" % run.run_id)["status"] == "finished", "the later status was still sent"
