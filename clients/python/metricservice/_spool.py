"""Batches kept on disk while the service is away, one JSON line each, with its idempotency key.
A line is appended and flushed before the batch counts as handled, so a killed process keeps it."""

import json
import os
import threading

SENT_SUFFIX = ".sent"


def default_dir():
    return os.environ.get("METRICSERVICE_DIR") or os.path.join(os.path.expanduser("~"), ".metricservice", "spool")


class Spool:
    def __init__(self, directory, run_id):
        self.directory = directory
        self.path = os.path.join(directory, "%s.jsonl" % run_id)
        self._lock = threading.Lock()
        self.batches = 0
        self.points = 0

    def append(self, idempotency_key, metrics):
        line = json.dumps({"idempotency_key": idempotency_key, "metrics": metrics}, separators=(",", ":"), allow_nan=False)
        with self._lock:
            os.makedirs(self.directory, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as spool:
                spool.write(line + "\n")
                spool.flush()
            self.batches += 1
            self.points += len(metrics)


def pending(directory):
    """(path, line number, batch) for every spooled batch not yet confirmed sent."""
    if not os.path.isdir(directory):
        return
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".jsonl"):
            continue
        path = os.path.join(directory, name)
        sent = sent_lines(path)
        with open(path, encoding="utf-8") as spool:
            for number, line in enumerate(spool):
                if number in sent or not line.endswith("\n"):
                    continue  # sent already, or the last line of a process killed mid-write
                yield path, number, json.loads(line)


def sent_lines(path):
    try:
        with open(path + SENT_SUFFIX, encoding="utf-8") as sent:
            return {int(line) for line in sent if line.strip()}
    except FileNotFoundError:
        return set()


def mark_sent(path, number):
    with open(path + SENT_SUFFIX, "a", encoding="utf-8") as sent:
        sent.write("%d\n" % number)
        sent.flush()
