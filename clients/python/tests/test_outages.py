"""Outages while a run trains: the service killed and restarted, PostgreSQL cut, a rate limit.
Each test runs its own instance of the service (the conftest's start_service)."""

import threading
import time

import metricservice

NAMES = ("loss", "acc", "lr")


def train(run, seconds, during=None):
    """Logs 3 metrics per step about 1,000 times a second for `seconds`, calling `during()` on
    another thread meanwhile; returns the number of steps logged."""
    side = threading.Thread(target=during) if during else None
    if side:
        side.start()
    step, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.log({"loss": 1.0 / (step + 1), "acc": step / 1e6, "lr": 1e-3})
        step += 1
        time.sleep(0.001)
    if side:
        side.join()
    return step


def assert_stored_once(service, run, steps):
    assert run.spool.batches == 0, "nothing should have needed the spool"
    assert run.sent == len(NAMES) * steps
    for name in NAMES:
        stats = service.stats(run.run_id, name)
        assert stats["count"] == steps, (name, stats["count"], steps)
    assert service.get("/api/v1/runs/%s/metrics/loss/latest" % run.run_id)["step"] == steps - 1


def test_the_service_killed_and_restarted_mid_run_loses_and_duplicates_nothing(service, start_service, tmp_path):
    instance = start_service()
    run = metricservice.init(instance.url, service.api_key, spool_dir=str(tmp_path), quiet=True, offline_after=300)

    def outage():
        time.sleep(2)
        instance.kill()  # kill -9, batches in flight
        time.sleep(2)
        instance.start()

    steps = train(run, 8, outage)
    run.finish(timeout=120)

    assert run.delivery.retried["network"] > 0, "the outage was not noticed"
    assert_stored_once(service, run, steps)


def test_postgresql_cut_for_10_seconds_mid_run_loses_and_duplicates_nothing(service, start_service, database_proxy, tmp_path):
    proxy, through_proxy = database_proxy
    instance = start_service(TIMESCALE_URL=through_proxy)
    run = metricservice.init(instance.url, service.api_key, spool_dir=str(tmp_path), quiet=True, offline_after=300)

    def outage():
        time.sleep(2)
        proxy.cut()
        time.sleep(10)
        proxy.restore()

    steps = train(run, 15, outage)
    run.finish(timeout=120)

    assert run.delivery.retried[503] > 0, dict(run.delivery.retried)
    assert_stored_once(service, run, steps)


def test_a_429_is_waited_out_as_retry_after_says_and_nothing_is_lost(service, start_service, tmp_path):
    instance = start_service(RATE_LIMIT_METRICS="2000")  # bursts of 4,000
    run = metricservice.init(instance.url, service.api_key, spool_dir=str(tmp_path), quiet=True)
    steps = 4000
    started = time.monotonic()
    for _ in range(steps):
        run.log({"loss": 0.5, "acc": 0.5, "lr": 1e-3})
    run.finish(timeout=120)

    assert run.delivery.retried[429] > 0, dict(run.delivery.retried)
    assert time.monotonic() - started >= (3 * steps - 4000) / 2000 - 1  # it waited, as told
    assert_stored_once(service, run, steps)
