"""The old SDK's calls (metricservice.compat.APIClient) against the real service."""

import logging
import math
import os
import time
import uuid
from datetime import datetime, timedelta

import pytest

import metricservice
from metricservice.compat import APIClient, APIError, AuthenticationError


@pytest.fixture
def local_time_utc_plus_1():
    """This machine's local time made UTC+1 (a POSIX TZ: no time-zone database needed)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "CET-1"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def old_client(service):
    # As the old SDK was constructed: the platform's API and the metric service's /api/v1 base.
    client = APIClient("http://platform.invalid/api/v1", service.url + "/api/v1", api_key=service.api_key)
    client.login()
    return client


def test_old_batch_calls_write_with_correct_times_and_a_resend_is_stored_once(service, local_time_utc_plus_1):
    client = old_client(service)
    run_id = str(uuid.uuid4())
    local = datetime(2025, 12, 5, 16, 0, 0, 123456)  # naive local time, as the old SDK sent datetime.now().isoformat()
    metrics = [
        {"run_id": run_id, "metric_name": "loss", "step": 1, "value": 0.5, "time": local.isoformat()},
        {"run_id": run_id, "metric_name": "loss", "step": 2, "value": math.nan, "time": local.isoformat(), "metadata": {"lr": 0.1}},
        {"run_id": run_id, "metric_name": "loss", "step": 3, "value": math.inf},  # no time: the call's
    ]

    first = client.batch_write_metrics(metrics)
    again = client.batch_write_metrics(metrics[:2])  # the old retry loop resending what has a time

    assert (first["inserted"], first["duplicates"]) == (3, 0)
    assert (again["inserted"], again["duplicates"]) == (0, 2)
    points = metricservice.Client(service.url, service.api_key).history(run_id, "loss")
    assert [p["step"] for p in points] == [1, 2, 3]
    assert points[0]["time"] == points[1]["time"] == "2025-12-05T15:00:00.123456Z"
    assert points[0]["value"] == 0.5 and math.isnan(points[1]["value"]) and points[2]["value"] == math.inf
    assert points[1]["metadata"] == {"lr": 0.1}


def test_old_system_batch_writes_and_reads_back(service):
    client = old_client(service)
    run_id = str(uuid.uuid4())
    now = datetime.now()
    answer = client.batch_write_system_metrics([
        {"run_id": run_id, "metric_type": "cpu", "value": 37.5, "time": now.isoformat(), "metadata": {"cpu_count": 2}},
        {"run_id": run_id, "metric_type": "cpu_core", "value": 12.0, "time": now.isoformat(), "metadata": {"core": 1}},
        {"run_id": run_id, "metric_type": "network_sent", "value": 1.5, "time": (now - timedelta(seconds=1)).isoformat()},
    ])

    assert answer["count"] == 3
    rows = metricservice.Client(service.url, service.api_key).system_metrics(run_id)
    assert sorted((r["metric_type"], r["value"]) for r in rows) == [("cpu", 37.5), ("cpu_core", 12.0), ("network_sent", 1.5)]
    assert {r["metric_type"]: r["metadata"] for r in rows}["cpu_core"] == {"core": 1}


def test_a_refused_item_raises_the_old_api_error_with_the_service_message_and_the_rest_is_stored(service, caplog):
    client = old_client(service)
    run_id = str(uuid.uuid4())
    caplog.set_level(logging.WARNING, "metricservice")
    with pytest.raises(APIError) as refused:
        client.batch_write_metrics([
            {"run_id": run_id, "metric_name": "ok", "step": 1, "value": 1.0},
            {"run_id": run_id, "metric_name": "", "step": 1, "value": 1.0},
        ])
    assert "metric_name" in str(refused.value)
    assert [p["step"] for p in metricservice.Client(service.url, service.api_key).history(run_id, "ok")] == [1]
    with pytest.raises(APIError):  # the same mistake again raises again
        client.batch_write_metrics([{"run_id": run_id, "metric_name": "", "step": 2, "value": 1.0}])


def test_login_without_a_key_says_keys_are_needed():
    with pytest.raises(AuthenticationError, match="API key"):
        APIClient("http://x", "http://x/api/v1", username="u", password="p").login()


def test_a_key_the_service_refuses_raises_the_old_authentication_error_at_once(service):
    client = APIClient("http://platform.invalid", service.url + "/api/v1", api_key="revoked-or-unknown")
    with pytest.raises(AuthenticationError, match="refused the API key"):
        client.batch_write_metrics([{"run_id": str(uuid.uuid4()), "metric_name": "loss", "value": 1.0}])
