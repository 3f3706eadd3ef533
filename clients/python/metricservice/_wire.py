"""The service's wire format and one HTTP call, standard library only."""

import http.client
import json
import math
import urllib.parse
from datetime import datetime, timezone


def number(value):
    """A float as the service reads it: NaN and +-Infinity travel as strings."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


_second = (None, "")  # the last second formatted: a run logs many steps within one


def utc_time(time_ns):
    """RFC 3339 with an explicit offset, to the microsecond (what the service stores)."""
    global _second
    seconds, micros = divmod(time_ns // 1000, 1_000_000)
    cached = _second  # one tuple, read and replaced whole: safe across the sender and monitor threads
    if cached[0] != seconds:
        cached = _second = (seconds, datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"))
    return "%s.%06d+00:00" % (cached[1], micros)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def retry_after(self):
        try:
            return max(0.0, float(self.headers.get("Retry-After", "")))
        except ValueError:
            return None


def request(url, method, path, api_key=None, body=None, headers=None, timeout=30.0):
    """One request on a fresh connection. Raises OSError (and http.client errors) when the
    server cannot be reached or the connection breaks: the caller decides about retrying."""
    parts = urllib.parse.urlsplit(url)
    connection_type = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(parts.hostname, parts.port, timeout=timeout)
    sent = {"Accept": "application/json"}
    if api_key:
        sent["Authorization"] = "Bearer " + api_key
    if body is not None:
        sent["Content-Type"] = "application/json"
    sent.update(headers or {})
    try:
        connection.request(method, parts.path.rstrip("/") + path, body=body, headers=sent)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()
