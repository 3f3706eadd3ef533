"""A run: `log()` puts one entry on a bounded queue and returns; a thread batches and sends."""

import atexit
import json
import logging
import numbers
import os
import queue
import threading
import time
import uuid

from . import _delivery, _spool, _system, _wire

log = logging.getLogger("metricservice")

_STOP = object()


class _Description:
    """A queued PUT of the run's description (name, tags, config, status)."""

    def __init__(self, document):
        self.document = document


class Run:
    def __init__(self, url=None, api_key=None, run_id=None, mode="online", spool_dir=None, batch_size=1000,
                 flush_interval=0.5, queue_size=100_000, offline_after=60.0, quiet=False, system_metrics=False, interval=10.0,
                 name=None, tags=None, config=None):
        if mode not in ("online", "offline"):
            raise ValueError("mode must be 'online' or 'offline'")
        self.url = (url or os.environ.get("METRICSERVICE_URL") or "http://localhost:8001").rstrip("/")
        self.api_key = api_key or os.environ.get("METRICSERVICE_API_KEY")
        self.run_id = str(uuid.UUID(str(run_id))) if run_id else str(uuid.uuid4())
        self.mode = mode
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.offline_after = offline_after
        self.spool = _spool.Spool(spool_dir or _spool.default_dir(), self.run_id)
        self.delivery = _delivery.Delivery(self.url, self.api_key)
        self.sent = 0
        self._step = 0
        self._queue = queue.Queue(queue_size)
        self._overflow_lock = threading.Lock()
        self._finishing = None  # a monotonic deadline once finish() is called
        self._warned_types = set()
        self._spilling = False
        self._thread = threading.Thread(target=self._send_loop, name="metricservice-sender", daemon=True)
        self._thread.start()
        # The run is described (running, with what was given) by the sender thread, like a batch.
        self.describe(name=name, tags=tags, config=config, status="running")
        self.monitor = _system.Monitor(self.url, self.api_key, self.run_id, interval).start() if system_metrics and mode == "online" else None
        atexit.register(self.finish)
        if not self.api_key and mode == "online":
            log.warning("metricservice: no API key (METRICSERVICE_API_KEY or api_key=...); if the service asks for one, batches go to %s", self.spool.path)
        if not quiet:
            where = self.spool.path if mode == "offline" else "%s/#run=%s" % (self.url, self.run_id)
            print("metricservice: run %s -> %s" % (self.run_id, where))

    # --- the training thread's side: cheap, never waits on the network ---

    def log(self, metrics, step=None):
        """Record `metrics` (name -> number) at `step` (the next step when omitted), timed now."""
        if self._finishing is not None:
            raise RuntimeError("run %s is finished; start another with metricservice.init(run_id=...)" % self.run_id)
        if step is None:
            step = self._step
        self._step = int(step) + 1
        entry = (time.time_ns(), int(step), dict(metrics))  # a copy: callers often refill one dict
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            # The documented policy: never drop, never block; the entry goes to the spool.
            with self._overflow_lock:
                self.spool.append(uuid.uuid4().hex, self._points([entry]))

    def describe(self, name=None, tags=None, config=None, status=None):
        """Set the run's display name, tags (a list), config (a dict of hyper-parameters, sent as
        JSON; values JSON cannot hold are sent as text) or status ("running", "finished",
        "failed"). What is left out stays as it was. Sent in the background; offline runs are not
        described."""
        document = {k: v for k, v in (("name", name), ("tags", list(tags) if tags is not None else None), ("status", status)) if v is not None}
        if config is not None:
            try:
                document["config"] = json.loads(json.dumps(dict(config), default=str, allow_nan=False))
            except (TypeError, ValueError) as error:  # NaN or a key JSON cannot hold
                log.warning("metricservice: the run's config is not sent (%s)", error)
        if document and self.mode == "online":
            self._queue.put(_Description(document))

    def finish(self, timeout=30.0, status="finished"):
        """Send what is queued (up to `timeout` seconds of trying), then spool what is left. The
        run is marked `status` ("finished", or "failed" when a `with` block ends in an exception)."""
        if self._finishing is not None:
            return  # finished already (atexit calls again)
        self.describe(status=status)
        self._finishing = time.monotonic() + timeout
        if self.monitor:
            self.monitor.stop()
        self._queue.put(_STOP)
        self._thread.join(timeout + 5)
        if self.spool.batches:
            log.warning("metricservice: %d points of run %s are in %s; upload them with: python -m metricservice sync %s",
                        self.spool.points, self.run_id, self.spool.path, self.spool.directory)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        self.finish(status="failed" if exc_type is not None else "finished")
        return False

    # --- the sender thread ---

    def _send_loop(self):
        pending, stop = [], False
        while not stop:
            deadline = time.monotonic() + self.flush_interval
            count = sum(len(m) for _, _, m in pending)
            while count < self.batch_size:
                try:
                    entry = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if entry is _STOP:
                    stop = True
                    break
                if isinstance(entry, _Description):
                    self._put_description(entry.document)
                    continue
                pending.append(entry)
                count += len(entry[2])
            points = self._points(pending)
            pending = []
            for start in range(0, len(points), self.batch_size):
                batch = points[start:start + self.batch_size]
                try:
                    self._deliver(batch)
                except Exception:  # the sender must outlive any one batch; keep the batch on disk
                    log.exception("metricservice: sending a batch failed; it was kept in %s", self.spool.path)
                    self.spool.append(uuid.uuid4().hex, batch)

    def _deliver(self, points):
        key = uuid.uuid4().hex
        if self.mode == "offline":
            self.spool.append(key, points)
            return
        try:
            self.sent += self.delivery.send(points, key, self._give_up)
            self._spilling = False
        except _delivery.Unreachable as error:
            if not self._spilling:  # once per outage
                why = "refused the API key" if isinstance(error, _delivery.KeyRefused) else "is unreachable"
                log.warning("metricservice: %s %s (%s); batches go to %s until it takes one", self.url, why, error, self.spool.path)
            self._spilling = True
            self.spool.append(key, points)

    def _put_description(self, document):
        try:
            self.delivery.put("/api/v1/runs/%s" % self.run_id, document, self._give_up)
        except _delivery.Unreachable as error:
            log.warning("metricservice: the run's description (%s) was not sent: %s", ", ".join(sorted(document)), error)
        except Exception:  # the sender must outlive a description too
            log.exception("metricservice: sending the run's description failed")

    def _give_up(self, unreachable_for):
        if self._finishing is not None and time.monotonic() > self._finishing:
            return True
        return unreachable_for > self.offline_after

    def _points(self, entries):
        points, run_id = [], self.run_id
        for time_ns, step, metrics in entries:
            when = _wire.utc_time(time_ns)
            for name, value in metrics.items():
                if type(value) is float and value - value == 0.0:  # the usual case, finite: skips the ABC checks below
                    points.append({"run_id": run_id, "metric_name": name if type(name) is str else str(name), "step": step, "value": value, "time": when})
                    continue
                try:
                    if isinstance(value, bool) or not isinstance(value, numbers.Real):
                        raise TypeError("%s, not a number" % type(value).__name__)
                    number = _wire.number(value)
                except (TypeError, ValueError, OverflowError) as error:  # e.g. a string, or an int past float's range
                    if name not in self._warned_types:
                        self._warned_types.add(name)
                        log.warning("metricservice: %r is not sent (%s)", name, error)
                    continue
                points.append({"run_id": run_id, "metric_name": str(name), "step": step, "value": number, "time": when})
        return points

