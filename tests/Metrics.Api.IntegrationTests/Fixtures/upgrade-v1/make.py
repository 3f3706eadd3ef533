#!/usr/bin/env python3
"""Builds the upgrade fixture: a database written by the version before series ids (v1), and what
that version answered to every read of it.

Run once, against the OLD build (commit 5e4493a), to (re)make the fixture:
  make.py SERVER_DLL POSTGRES_ADMIN_URL REDIS_URL
It creates database upgrade_v1, starts that build on it (AUTH_MODE=none), writes the data set
below through the API, records the reads in reads.json.gz and dumps the database to v1.sql.gz
(pg_dump --inserts, so a test can replay it without psql).
"""
import gzip, json, math, os, subprocess, sys, time, urllib.error, urllib.request, urllib.parse

DLL, ADMIN_URL, REDIS_URL = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 8040
DB = "upgrade_v1"
RUN_A = "0a0a0a0a-0000-4000-8000-00000000000a"
RUN_B = "0b0b0b0b-0000-4000-8000-00000000000b"
BASE = 1767571200  # 2026-01-05T00:00:00Z

def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(seconds))) + ".%06dZ" % round((seconds % 1) * 1e6)

def psql(sql, db="postgres"):
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + db
    subprocess.run(["psql", url, "-qc", sql], check=True)

def call(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.read().decode()
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()}")

def value(i):
    if i % 97 == 0: return "NaN"
    if i % 211 == 0: return "Infinity" if i % 2 else "-Infinity"
    return math.sin(i / 50) * 10 + i / 1000

def points():
    for i in range(3000):  # loss: stepped, with non-finite values and some metadata
        p = {"run_id": RUN_A, "metric_name": "loss", "step": i, "value": value(i), "time": iso(BASE + i * 1.5 + 0.000123)}
        if i % 20 == 0: p["metadata"] = {"epoch": i // 100, "tag": "e"}
        yield p
    for i in range(60):  # acc: no steps
        yield {"run_id": RUN_A, "metric_name": "acc", "step": None, "value": i / 60, "time": iso(BASE + i * 61)}
    for i in range(0, 3500, 7):  # lr: sparse steps
        yield {"run_id": RUN_A, "metric_name": "lr", "step": i, "value": 0.1 * 0.999 ** i, "time": iso(BASE + i)}
    for i in range(2000):  # run B: huge values and a second series named loss
        yield {"run_id": RUN_B, "metric_name": "loss", "step": i * 3, "value": 1.7e308 if i % 3 else -1.5e308, "time": iso(BASE + 86400 + i * 2)}
    for i in range(40):
        yield {"run_id": RUN_B, "metric_name": "grad norm/layer.0", "step": i, "value": i * i, "time": iso(BASE + 86400 + i)}

def main():
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    db_url = ADMIN_URL.rsplit("/", 1)[0] + "/" + DB
    env = dict(os.environ, ENVIRONMENT="development", AUTH_MODE="none", TIMESCALE_URL=db_url, REDIS_URL=REDIS_URL, PORT=str(PORT))
    server = subprocess.Popen(["dotnet", DLL], env=env, cwd=os.path.dirname(DLL), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                call("GET", "/health"); break
            except Exception:
                time.sleep(0.5)
        pts = list(points())
        for k in range(0, len(pts), 700):
            call("POST", "/api/v1/metrics/batch", {"metrics": pts[k:k + 700]})
        call("POST", "/api/v1/metrics/batch", {"metrics": pts[100:300]})  # a retry: all duplicates
        system = [{"run_id": RUN_A, "metric_type": "gpu_util", "value": (i * 7) % 100, "time": iso(BASE + i * 10),
                   "metadata": {"gpu": i % 2}} for i in range(200)]
        call("POST", "/api/v1/metrics/system/batch", {"metrics": system})

        reads = ["/api/v1/runs", "/api/v1/runs?limit=1", f"/api/v1/runs/{RUN_A}/metric-names", f"/api/v1/runs/{RUN_B}/metric-names",
                 f"/api/v1/runs/{RUN_A}/metrics", f"/api/v1/runs/{RUN_A}/metrics?order=asc&limit=5000",
                 f"/api/v1/runs/{RUN_A}/metrics?metric_names=loss,acc,lr&limit=10000",
                 f"/api/v1/runs/{RUN_A}/system-metrics", f"/api/v1/runs/{RUN_A}/system-metrics?metric_type=gpu_util&order=asc",
                 f"/api/v1/metrics/loss?run_ids={RUN_A},{RUN_B}&limit=5000"]
        for run, name in [(RUN_A, "loss"), (RUN_A, "acc"), (RUN_A, "lr"), (RUN_B, "loss"), (RUN_B, "grad norm/layer.0")]:
            n = urllib.parse.quote(name, safe="")
            reads += [f"/api/v1/runs/{run}/metrics/{n}", f"/api/v1/runs/{run}/metrics/{n}?order=asc&limit=10000",
                      f"/api/v1/runs/{run}/metrics/{n}?min_step=100&max_step=900&order=asc",
                      f"/api/v1/runs/{run}/metrics/{n}?start_time={iso(BASE + 600)}&end_time={iso(BASE + 90000)}",
                      f"/api/v1/runs/{run}/metrics/{n}/latest", f"/api/v1/runs/{run}/metrics/{n}/stats",
                      f"/api/v1/runs/{run}/metrics/{n}/downsampled?points=7", f"/api/v1/runs/{run}/metrics/{n}/downsampled?points=100",
                      f"/api/v1/runs/{run}/metrics/{n}/downsampled?points=500",
                      f"/api/v1/runs/{run}/metrics/{n}/downsampled?points=20&min_step=130&max_step=2999",
                      f"/api/v1/runs/{run}/metrics/{n}/time-buckets?points=10", f"/api/v1/runs/{run}/metrics/{n}/time-buckets?points=300"]
        answers = {url: call("GET", url) for url in reads}
        with gzip.open(os.path.join(HERE, "reads.json.gz"), "wt", compresslevel=9) as f:
            json.dump(answers, f, indent=0, sort_keys=True)
    finally:
        server.terminate(); server.wait()
    dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--rows-per-insert=500", db_url],
                          check=True, capture_output=True).stdout
    with gzip.open(os.path.join(HERE, "v1.sql.gz"), "wb", compresslevel=9) as f:
        f.write(dump)
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    print(f"{len(answers)} reads, dump {len(dump)} bytes")

main()
