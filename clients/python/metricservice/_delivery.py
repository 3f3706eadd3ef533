"""The retry contract: one batch, its own Idempotency-Key, resent until the service answers for it."""

import http.client
import json
import logging
import random
import re
import time
import uuid

from . import _wire

log = logging.getLogger("metricservice")

RETRIED = {408, 409, 425, 429}
ITEM = re.compile(r"^metrics\[(\d+)\]")


class Unreachable(Exception):
    """The service did not answer within the time allowed; the batch was not confirmed."""


class Delivery:
    """Sends batches to one service with one key. `give_up()` is asked between attempts while the
    service cannot be reached; once it says yes, `send` raises Unreachable (the caller spools)."""

    def __init__(self, url, api_key, path="/api/v1/metrics/batch", timeout=30.0, max_backoff=30.0):
        self.url = url
        self.api_key = api_key
        self.path = path
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.refused = []  # (item, message) reported so far, each once
        self._reported = set()
        self.unreachable_since = None

    def send(self, metrics, idempotency_key=None, give_up=lambda unreachable_for: False):
        """Returns the number of points the service stored (inserted + duplicates skipped) or
        refused for good; raises Unreachable when `give_up` says so."""
        key = idempotency_key or uuid.uuid4().hex
        attempt = 0
        while metrics:
            body = json.dumps({"metrics": metrics}, separators=(",", ":"), allow_nan=False).encode()
            try:
                response = _wire.request(self.url, "POST", self.path, self.api_key, body, {"Idempotency-Key": key}, self.timeout)
            except (OSError, http.client.HTTPException) as error:
                now = time.monotonic()
                self.unreachable_since = self.unreachable_since or now
                if give_up(now - self.unreachable_since):
                    raise Unreachable(str(error)) from error
                attempt += 1
                self._wait(attempt, None)
                continue

            self.unreachable_since = None
            if 200 <= response.status < 300:
                return len(metrics)
            if response.status in RETRIED or response.status >= 500:
                attempt += 1
                self._wait(attempt, response.retry_after())
                continue

            # Final: the batch is all or nothing, so the items the service names are reported and
            # dropped, and the rest is sent again under a new key.
            problem = response.json()
            problem = problem if isinstance(problem, dict) else {}
            bad = self._named_items(problem, metrics)
            if not bad:
                self._report("batch", "HTTP %d: %s" % (response.status, problem.get("detail") or problem.get("title") or response.body[:200]))
                return len(metrics)
            metrics = [m for i, m in enumerate(metrics) if i not in bad]
            key = uuid.uuid4().hex
            attempt = 0
        return 0

    def _named_items(self, problem, metrics):
        bad = set()
        for field, messages in (problem.get("errors") or {}).items():
            match = ITEM.match(field)
            if not match or int(match.group(1)) >= len(metrics):
                continue
            index = int(match.group(1))
            bad.add(index)
            item = metrics[index]
            self._report(item.get("metric_name") or item.get("metric_type") or field, "%s: %s" % (field.split(".", 1)[-1], " ".join(messages)))
        return bad

    def _report(self, item, message):
        if (item, message) in self._reported:
            return
        self._reported.add((item, message))
        self.refused.append((item, message))
        log.warning("metricservice refused %s (%s); the rest of the run goes on", item, message)

    def _wait(self, attempt, retry_after):
        backoff = min(self.max_backoff, 0.25 * (2 ** min(attempt, 10)))
        time.sleep(retry_after if retry_after is not None else random.uniform(backoff / 2, backoff))
