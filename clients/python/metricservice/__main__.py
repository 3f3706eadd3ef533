"""python -m metricservice sync [DIR] | monitor --run-id ID [--interval S]   (--url URL, --api-key KEY)"""

import argparse
import os
import sys
import time

from . import _delivery, _spool, _system


def sync(directory, url, api_key, out=None):
    out = out or sys.stderr
    batches = list(_spool.pending(directory))
    total = sum(len(b["metrics"]) for _, _, b in batches)
    delivery = _delivery.Delivery(url.rstrip("/"), api_key)
    started, done = time.monotonic(), 0
    for path, number, batch in batches:
        delivery.send(batch["metrics"], batch["idempotency_key"], give_up=lambda unreachable_for: unreachable_for > 60)
        _spool.mark_sent(path, number)
        done += len(batch["metrics"])
        if out.isatty():
            rate = done / max(time.monotonic() - started, 1e-9)
            out.write("\r%d of %d points sent, %.0f points/s, %.0f s left " % (done, total, rate, (total - done) / max(rate, 1e-9)))
            out.flush()
    if out.isatty() and batches:
        out.write("\n")
    refused = " (%d refused, reported above)" % len(delivery.refused) if delivery.refused else ""
    out.write("synced %d points in %d batches from %s in %.1f s%s\n" % (done, len(batches), directory, time.monotonic() - started, refused))
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m metricservice")
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("sync", help="upload spooled batches, each exactly once; safe to run again")
    upload.add_argument("directory", nargs="?", default=_spool.default_dir())
    upload.add_argument("--url", default=os.environ.get("METRICSERVICE_URL", "http://localhost:8001"))
    upload.add_argument("--api-key", default=os.environ.get("METRICSERVICE_API_KEY"))
    watch = commands.add_parser("monitor", help="send this host's system metrics for a run until interrupted")
    watch.add_argument("--run-id", required=True)
    watch.add_argument("--interval", type=float, default=10.0)
    watch.add_argument("--url", default=os.environ.get("METRICSERVICE_URL", "http://localhost:8001"))
    watch.add_argument("--api-key", default=os.environ.get("METRICSERVICE_API_KEY"))
    args = parser.parse_args(argv)
    if args.command == "monitor":
        monitor = _system.Monitor(args.url.rstrip("/"), args.api_key, args.run_id, args.interval).start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            monitor.stop()
        return 0
    try:
        sync(args.directory, args.url, args.api_key)
    except _delivery.KeyRefused as error:
        sys.stderr.write("the service at %s refused the API key (%s); nothing is lost, run sync again with --api-key\n" % (args.url, error))
        return 2
    except _delivery.Unreachable as error:
        sys.stderr.write("the service at %s is unreachable (%s); nothing is lost, run sync again later\n" % (args.url, error))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
