import json
import os
import sys
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from metricservice import _wire  # noqa: E402


class Service:
    """The real service ./build/test started, read back over its REST API."""

    def __init__(self, url, api_key):
        self.url = url
        self.api_key = api_key

    def get(self, path):
        response = _wire.request(self.url, "GET", path, self.api_key)
        assert response.status == 200, (path, response.status, response.body[:300])
        return json.loads(response.body)

    def stats(self, run_id, name):
        return self.get("/api/v1/runs/%s/metrics/%s/stats" % (run_id, urllib.parse.quote(name, safe="")))

    def history(self, run_id, name, limit=10000, **query):
        query = "&".join("%s=%s" % kv for kv in query.items())
        path = "/api/v1/runs/%s/metrics/%s?limit=%d&order=asc%s" % (run_id, urllib.parse.quote(name, safe=""), limit, "&" + query if query else "")
        return self.get(path)["metrics"]


@pytest.fixture(scope="session")
def service():
    url, key = os.environ.get("METRICSERVICE_URL"), os.environ.get("METRICSERVICE_API_KEY")
    if not url or not key:
        pytest.fail("METRICSERVICE_URL and METRICSERVICE_API_KEY must name a running service (./build/test sets them)")
    return Service(url, key)
