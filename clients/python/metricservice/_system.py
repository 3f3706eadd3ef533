"""System metrics of this host, read from /proc and os (or psutil when installed), and per GPU
from nvidia-smi when it is on PATH. Units: cpu, cpu_core, memory, disk, gpu_util and gpu_memory in
percent; network_sent / network_recv in bytes per second since the previous sample (rates, not
counters); gpu_temp in °C; gpu_power in W."""

import logging
import os
import shutil
import subprocess
import threading
import time

from . import _delivery, _wire

log = logging.getLogger("metricservice")

GPU_QUERY = "index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw"


def _cpu_times():
    times = {}
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            if line.startswith("cpu"):
                name, *fields = line.split()
                values = [int(v) for v in fields[:8]]
                idle = values[3] + values[4]  # idle + iowait
                times[name] = (sum(values), idle)
    return times


def _network_bytes():
    sent = received = 0
    with open("/proc/net/dev", encoding="ascii") as dev:
        for line in list(dev)[2:]:
            name, data = line.split(":", 1)
            if name.strip() == "lo":
                continue
            fields = data.split()
            received += int(fields[0])
            sent += int(fields[8])
    return sent, received


def _memory_percent():
    info = {}
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0])
    return 100.0 * (info["MemTotal"] - info["MemAvailable"]) / info["MemTotal"]


def _disk_percent(path="/"):
    stat = os.statvfs(path)
    return 100.0 * (1 - stat.f_bavail / stat.f_blocks) if stat.f_blocks else 0.0


class _Psutil:
    """The same figures from psutil, where it is installed (and on systems without /proc)."""

    def __init__(self, psutil):
        self.psutil = psutil

    def cpu_times(self):
        def total_idle(t):
            return sum(t), t.idle + getattr(t, "iowait", 0.0)

        times = {"cpu": total_idle(self.psutil.cpu_times())}
        for i, t in enumerate(self.psutil.cpu_times(percpu=True)):
            times["cpu%d" % i] = total_idle(t)
        return times

    def network_bytes(self):
        counters = [c for name, c in self.psutil.net_io_counters(pernic=True).items() if name != "lo"]
        return sum(c.bytes_sent for c in counters), sum(c.bytes_recv for c in counters)

    def memory_percent(self):
        return float(self.psutil.virtual_memory().percent)

    def disk_percent(self, path="/"):
        return float(self.psutil.disk_usage(path).percent)


class _Proc:
    cpu_times = staticmethod(_cpu_times)
    network_bytes = staticmethod(_network_bytes)
    memory_percent = staticmethod(_memory_percent)
    disk_percent = staticmethod(_disk_percent)


def source():
    """psutil when it can be imported, else /proc and os."""
    try:
        import psutil
    except ImportError:
        return _Proc()
    return _Psutil(psutil)


def gpus():
    """(metric_type, value, {"gpu": i}) per GPU from nvidia-smi; nothing without it."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=" + GPU_QUERY, "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.strip().splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 6:
            continue

        def number(text):
            try:
                return float(text)
            except ValueError:
                return None  # "[N/A]" on some boards

        index, util, used, total, temp, power = fields[0], *map(number, fields[1:])
        gpu = {"gpu": int(index)}
        rows += [("gpu_util", util, gpu), ("gpu_temp", temp, gpu), ("gpu_power", power, gpu)]
        if used is not None and total:
            rows.append(("gpu_memory", 100.0 * used / total, gpu))
    return [r for r in rows if r[1] is not None]


class Sampler:
    """Each call of `sample()` gives the rows since the previous call (the first has no rates)."""

    def __init__(self, host=None):
        self.host = host or source()
        self._cpu = self.host.cpu_times()
        self._net = self.host.network_bytes()
        self._at = time.monotonic()

    def sample(self):
        rows = []
        cpu, net, at = self.host.cpu_times(), self.host.network_bytes(), time.monotonic()
        for name, (total, idle) in cpu.items():
            before_total, before_idle = self._cpu.get(name, (total, idle))
            elapsed = total - before_total
            busy = 100.0 * (elapsed - (idle - before_idle)) / elapsed if elapsed > 0 else 0.0
            rows.append(("cpu", busy, None) if name == "cpu" else ("cpu_core", busy, {"core": int(name[3:])}))
        seconds = max(at - self._at, 1e-9)
        rows.append(("network_sent", (net[0] - self._net[0]) / seconds, None))
        rows.append(("network_recv", (net[1] - self._net[1]) / seconds, None))
        rows.append(("memory", self.host.memory_percent(), None))
        rows.append(("disk", self.host.disk_percent(), None))
        rows += gpus()
        self._cpu, self._net, self._at = cpu, net, at
        return rows


class Monitor:
    """Samples every `interval` seconds on its own thread and sends one system batch per sample."""

    def __init__(self, url, api_key, run_id, interval=10.0):
        self.run_id = run_id
        self.interval = interval
        self.sent = 0
        self.delivery = _delivery.Delivery(url, api_key, path="/api/v1/metrics/system/batch")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="metricservice-monitor", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=10.0):
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self):
        try:
            sampler = Sampler()
        except OSError as error:  # neither psutil nor /proc
            log.warning("metricservice: no system metrics on this host (%s); install psutil for them", error)
            return
        failed = False
        while not self._stop.wait(self.interval):
            when = _wire.utc_time(time.time_ns())
            try:
                batch = [dict({"run_id": self.run_id, "metric_type": kind, "value": _wire.number(value), "time": when},
                              **({"metadata": meta} if meta else {})) for kind, value, meta in sampler.sample()]
                self.sent += self.delivery.send(batch, give_up=lambda unreachable_for: unreachable_for > self.interval)
            except _delivery.Unreachable:
                pass  # a host sample is worth its moment only; the next one follows
            except Exception:  # a reading that failed once (a vanished interface, psutil's AccessDenied): keep sampling
                if not failed:
                    log.exception("metricservice: a system-metrics sample failed; the monitor goes on")
                failed = True
