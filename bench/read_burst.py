#!/usr/bin/env python3
"""Issue 14, finding 3: what a burst of the largest reads one read key may make costs the service.

Writes 20 series of 10,000 points into one run, then for --seconds sends --workers concurrent
multi-series reads (20 names, limits varied so no answer is cached) while timing an unrelated
/latest read, and prints the service's RSS before, at its peak during, and --after seconds later.
Usage: read_burst.py URL KEY PID [--seconds 16] [--workers 20] [--after 60]
"""
import argparse, json, statistics, threading, time, urllib.error, urllib.request, uuid


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def call(url, key, body=None):
    req = urllib.request.Request(url, data=body, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, len(r.read())
    except urllib.error.HTTPError as e:
        return e.code, len(e.read())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url"); p.add_argument("key"); p.add_argument("pid", type=int)
    p.add_argument("--seconds", type=float, default=16); p.add_argument("--workers", type=int, default=20)
    p.add_argument("--after", type=float, default=60)
    a = p.parse_args()
    run = uuid.uuid4()
    names = [f"m{i}" for i in range(20)]
    for name in names:
        for start in range(0, 10_000, 1000):
            points = [{"run_id": str(run), "metric_name": name, "step": s, "value": s * 0.5, "time": "2024-05-01T12:00:00Z"} for s in range(start, start + 1000)]
            status, _ = call(f"{a.url}/api/v1/metrics/batch", a.key, json.dumps({"metrics": points}).encode())
            assert status == 201, status
    time.sleep(2)
    before = rss_mib(a.pid)
    stop = time.monotonic() + a.seconds
    statuses, sizes, latest_ms, peak = {}, [0], [], [before]
    lock = threading.Lock()

    def reader(i):
        n = 0
        while time.monotonic() < stop:
            limit = 2500 - (i * 37 + n) % 400
            n += 1
            status, size = call(f"{a.url}/api/v1/runs/{run}/metrics?metric_names={','.join(names)}&limit={limit}", a.key)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                sizes[0] += size

    def watch():
        while time.monotonic() < stop:
            peak[0] = max(peak[0], rss_mib(a.pid))
            t = time.perf_counter()
            call(f"{a.url}/api/v1/runs/{run}/metrics/m0/latest", a.key)
            latest_ms.append((time.perf_counter() - t) * 1000)
            time.sleep(0.1)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(a.workers)] + [threading.Thread(target=watch)]
    for t in threads: t.start()
    for t in threads: t.join()
    end = rss_mib(a.pid)
    time.sleep(a.after)
    after = rss_mib(a.pid)
    print(f"answers: {dict(sorted(statuses.items()))}, {sizes[0] / 1e6:.0f} MB of JSON in {a.seconds:.0f} s")
    print(f"unrelated /latest during the burst: p50 {statistics.median(latest_ms):.1f} ms, max {max(latest_ms):.1f} ms ({len(latest_ms)} reads)")
    print(f"RSS: before {before:.0f} MiB, peak during {peak[0]:.0f} MiB, at the end {end:.0f} MiB, {a.after:.0f} s later {after:.0f} MiB")


if __name__ == "__main__":
    main()
