"""Reading back: the REST API's answers as lists of dicts, or pandas DataFrames on request."""

import json
import math
import os
import urllib.parse

from . import _wire

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_NUMBERS = {"value", "min", "max", "avg", "last", "min_value", "max_value", "avg_value", "std_dev"}


class MetricServiceError(Exception):
    """A 4xx/5xx answer: `status`, and the problem's `detail` as the message."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}
        super().__init__("HTTP %d: %s" % (status, self.problem.get("detail") or self.problem.get("title") or problem))


class Client:
    def __init__(self, url=None, api_key=None, timeout=30.0):
        self.url = (url or os.environ.get("METRICSERVICE_URL") or "http://localhost:8001").rstrip("/")
        self.api_key = api_key or os.environ.get("METRICSERVICE_API_KEY")
        self.timeout = timeout

    def runs(self, limit=None, as_frame=False, search=None, tag=None, status=None):
        """Runs, most recent first: `search` matches a name or an id prefix, `tag` one tag, `status`
        running/finished/failed. One page of `limit` (default 50, at most 1000)."""
        return _rows(self._get("/api/v1/runs", limit=limit, search=search, tag=tag, status=status)["runs"], as_frame)

    def run(self, run_id):
        """A run's name, tags, config, status, start and end, and activity."""
        return self._get("/api/v1/runs/%s" % run_id)

    def history(self, run_id, metric_name, limit=1000, start_time=None, end_time=None, min_step=None, max_step=None,
                order="asc", as_frame=False):
        answer = self._get(self._series(run_id, metric_name), limit=limit, start_time=start_time, end_time=end_time,
                           min_step=min_step, max_step=max_step, order=order)
        return _rows(answer["metrics"], as_frame)

    def latest(self, run_id, metric_name):
        return _values(self._get(self._series(run_id, metric_name) + "/latest"))

    def stats(self, run_id, metric_name):
        return _values(self._get(self._series(run_id, metric_name) + "/stats"))

    def downsampled(self, run_id, metric_name, points=500, min_step=None, max_step=None, as_frame=False):
        answer = self._get(self._series(run_id, metric_name) + "/downsampled", points=points, min_step=min_step, max_step=max_step)
        return _rows(answer["buckets"], as_frame)

    def system_metrics(self, run_id, metric_type=None, limit=1000, start_time=None, end_time=None, as_frame=False):
        answer = self._get("/api/v1/runs/%s/system-metrics" % run_id, metric_type=metric_type, limit=limit,
                           start_time=start_time, end_time=end_time)
        return _rows(answer["metrics"], as_frame)

    @staticmethod
    def _series(run_id, metric_name):
        return "/api/v1/runs/%s/metrics/%s" % (run_id, urllib.parse.quote(metric_name, safe=""))

    def _get(self, path, **query):
        query = {k: v for k, v in query.items() if v is not None}
        if query:
            path += "?" + urllib.parse.urlencode(query)
        response = _wire.request(self.url, "GET", path, self.api_key, timeout=self.timeout)
        if response.status != 200:
            raise MetricServiceError(response.status, response.json())
        return json.loads(response.body)


def _values(row):
    # NaN and ±Infinity arrive as strings; in Python they are floats again.
    return {k: _SPECIAL.get(v, v) if k in _NUMBERS and isinstance(v, str) else v for k, v in row.items()}


def _rows(rows, as_frame):
    rows = [_values(row) for row in rows]
    if not as_frame:
        return rows
    import pandas  # optional: only when a frame is asked for

    return pandas.DataFrame(rows)
