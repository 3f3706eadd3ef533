"""The retry contract: one batch, its own Idempotency-Key, resent until the service answers for it."""

import collections
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
    """The service did not take the batch within the time allowed (no answer, or only 5xx and 429);
    the batch was not confirmed."""


class KeyRefused(Unreachable):
    """401 or 403: no key, a wrong or revoked one, or one without the scope. Nothing this key sends
    can be stored, so the batch is kept (spooled) for a `sync` with a key that works."""


class Delivery:
    """Sends batches to one service with one key. `give_up(seconds)` is asked between attempts while
    the service has not taken a batch (no answer, or an answer to try again later) for that long;
    once it says yes, `send` raises Unreachable (the caller spools)."""

    def __init__(self, url, api_key, path="/api/v1/metrics/batch", timeout=30.0, max_backoff=30.0):
        self.url = url
        self.api_key = api_key
        self.path = path
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.refused = []  # (item, message) reported so far, each once
        self.refused_last = []  # (item, message) the last send() had refused, repeats included
        self.retried = collections.Counter()  # attempts answered "try again", by status ("network" without one)
        self.last_answer = None  # the service's JSON answer to the last batch it took
        self._reported = set()
        self.unreachable_since = None

    def send(self, metrics, idempotency_key=None, give_up=lambda unreachable_for: False):
        """Returns the number of points the service stored (inserted + duplicates skipped) or
        refused for good; raises Unreachable when `give_up` says so."""
        key = idempotency_key or uuid.uuid4().hex
        self.refused_last = []
        while metrics:
            body = json.dumps({"metrics": metrics}, separators=(",", ":"), allow_nan=False).encode()
            response = self._answer("POST", self.path, body, {"Idempotency-Key": key}, give_up)
            if 200 <= response.status < 300:
                self.last_answer = response.json()
                return len(metrics)
            problem = self._refusal(response)
            # Final: the batch is all or nothing, so the items the service names are reported and
            # dropped, and the rest is sent again under a new key.
            bad = self._named_items(problem, metrics)
            if not bad:
                self._report("batch", "HTTP %d: %s" % (response.status, problem.get("detail") or problem.get("title") or response.body[:200]))
                return len(metrics)
            metrics = [m for i, m in enumerate(metrics) if i not in bad]
            key = uuid.uuid4().hex
        return 0

    def put(self, path, document, give_up=lambda unreachable_for: False):
        """PUTs one JSON document (a run's description), retrying as send() does. Returns the
        service's answer, or None when it refused the document (reported once); raises
        Unreachable when `give_up` says so, KeyRefused on 401/403."""
        body = json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
        response = self._answer("PUT", path, body, None, give_up)
        if 200 <= response.status < 300:
            return response.json()
        problem = self._refusal(response)
        errors = problem.get("errors") or {}
        detail = "; ".join("%s: %s" % (field, " ".join(messages)) for field, messages in errors.items()) or problem.get("detail") or problem.get("title")
        self._report("the run's description", "HTTP %d: %s" % (response.status, detail))
        return None

    def _answer(self, method, path, body, headers, give_up):
        """The service's final answer to one request: asked again while there is no answer or it
        says try again (5xx, 408, 409, 425, 429), until `give_up` says stop (Unreachable)."""
        attempt = 0
        while True:
            try:
                response = _wire.request(self.url, method, path, self.api_key, body, headers, self.timeout)
            except (OSError, http.client.HTTPException) as error:
                attempt += 1
                self._retry(attempt, "network", None, give_up, str(error))
                continue
            if response.status in RETRIED or response.status >= 500:
                attempt += 1
                self._retry(attempt, response.status, response.retry_after(), give_up, "HTTP %d: %s" % (response.status, _problem(response).get("detail") or ""))
                continue
            self.unreachable_since = None
            return response

    @staticmethod
    def _refusal(response):
        """A final 4xx's problem; 401 and 403 raise KeyRefused (nothing this key sends is stored)."""
        problem = _problem(response)
        if response.status in (401, 403):
            raise KeyRefused("HTTP %d: %s" % (response.status, problem.get("detail") or "the API key was refused"))
        return problem

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
        self.refused_last.append((item, message))
        if (item, message) in self._reported:
            return
        self._reported.add((item, message))
        self.refused.append((item, message))
        log.warning("metricservice refused %s (%s); the rest of the run goes on", item, message)

    def _retry(self, attempt, status, retry_after, give_up, reason):
        """Counts the attempt and waits before the next one, or raises Unreachable once `give_up` says so."""
        self.retried[status] += 1
        now = time.monotonic()
        self.unreachable_since = self.unreachable_since or now
        if give_up(now - self.unreachable_since):
            raise Unreachable(reason)
        self._wait(attempt, retry_after)

    def _wait(self, attempt, retry_after):
        backoff = min(self.max_backoff, 0.25 * (2 ** min(attempt, 10)))
        time.sleep(retry_after if retry_after is not None else random.uniform(backoff / 2, backoff))


def _problem(response):
    """The answer's ProblemDetails, or {} when it is not one."""
    problem = response.json()
    return problem if isinstance(problem, dict) else {}
