"""The old service's Python SDK calls, kept working against this service.

    from metricservice.compat import APIClient
    client = APIClient(api_url, metric_url="http://localhost:8001/api/v1", api_key=KEY)
    client.login()
    client.batch_write_metrics([{"run_id": ..., "metric_name": "loss", "step": 3, "value": 0.3,
                                 "time": datetime.now().isoformat()}])

What changes underneath: each call carries an Idempotency-Key and is retried on connection errors,
5xx and 429 (honouring Retry-After) for up to `retry_for` seconds; a time without an offset (the
old SDK sent `datetime.now().isoformat()`, local time, which the service refuses) is read as this
machine's local time and sent in UTC; an item without a time gets the time of the call, so a resend
is recognised as a duplicate; NaN and ±Infinity are sent as the service's strings."""

import time
from datetime import datetime, timezone

from . import _delivery, _wire


class APIError(Exception):
    """A call the service refused, or could not take within `retry_for` seconds."""


class AuthenticationError(APIError):
    """No API key, or one the service refuses (unknown, revoked, or without the scope)."""


class APIClient:
    def __init__(self, api_url=None, metric_url=None, username=None, password=None, api_key=None, retry_for=60.0):
        # api_url named the old platform's main API (projects, runs); only the metric calls are kept.
        self.api_url = (api_url or "").rstrip("/")
        self.metric_url = (metric_url or api_url or "http://localhost:8001").rstrip("/")
        self.api_key = api_key
        self.username = username
        self.password = password
        self.retry_for = retry_for
        base = self.metric_url[: -len("/api/v1")] if self.metric_url.endswith("/api/v1") else self.metric_url
        self._metrics = _delivery.Delivery(base, api_key, path="/api/v1/metrics/batch")
        self._system = _delivery.Delivery(base, api_key, path="/api/v1/metrics/system/batch")

    def login(self):
        if not self.api_key:
            raise AuthenticationError("this service takes an API key (api_key=...), not a username and password")

    def batch_write_metrics(self, metrics):
        """Writes [{run_id, metric_name, step, value, time, metadata}]; returns the service's answer."""
        return self._write(self._metrics, metrics)

    def batch_write_system_metrics(self, metrics):
        """Writes [{run_id, metric_type, value, time, metadata}]; returns the service's answer."""
        return self._write(self._system, metrics)

    def _write(self, delivery, metrics):
        now = _wire.utc_time(time.time_ns())
        items = [_item(m, now) for m in metrics]
        try:
            delivery.send(items, give_up=lambda unreachable_for: unreachable_for > self.retry_for)
        except _delivery.KeyRefused as error:
            raise AuthenticationError("the service at %s refused the API key: %s" % (self.metric_url, error)) from error
        except _delivery.Unreachable as error:
            raise APIError("the service at %s did not take the batch within %.0f s: %s" % (self.metric_url, self.retry_for, error)) from error
        if delivery.refused_last:
            # The old SDK raised on a 4xx; the items the service did take are stored.
            raise APIError("; ".join("%s: %s" % r for r in delivery.refused_last))
        return delivery.last_answer or {}


def _item(metric, now):
    item = dict(metric)
    item["value"] = _wire.number(item["value"]) if isinstance(item.get("value"), (int, float)) and not isinstance(item["value"], bool) else item.get("value")
    item["time"] = _utc(item.get("time"), now)
    return item


def _utc(value, now):
    if value is None:
        return now
    if isinstance(value, (int, float)):
        return _wire.utc_time(int(value * 1e9))  # seconds since the epoch
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # not ISO 8601: the service names the item and says why
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.astimezone()  # naive: this machine's local time, as the old SDK meant it
        return value.astimezone(timezone.utc).isoformat()
    return value
