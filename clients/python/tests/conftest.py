import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
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


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, seconds, alive=lambda: True):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


class ServiceProcess:
    """One more instance of the service, on the test database, that a test may kill and restart."""

    def __init__(self, dll, log_path, env):
        self.dll = dll
        self.log_path = log_path
        self.env = env
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.process = None

    def start(self):
        env = dict(os.environ, PORT=str(self.port), Logging__LogLevel__Default="Warning", **self.env)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(["dotnet", self.dll], cwd=os.path.dirname(self.dll), env=env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_for_port(self.port, 120, lambda: self.process.poll() is None):
            raise AssertionError("the service did not start; its log: %s" % self.log_path)
        return self

    def kill(self):
        """kill -9: no graceful shutdown, requests in flight are cut."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)


@pytest.fixture
def start_service(tmp_path, request):
    """start_service(NAME=value, ...) starts another instance with those settings; all are killed after the test."""
    dll = os.environ.get("METRICSERVICE_API_DLL")
    database, redis = os.environ.get("TEST_TIMESCALE_URL"), os.environ.get("TEST_REDIS_URL")
    if not dll or not database or not redis:
        pytest.fail("METRICSERVICE_API_DLL, TEST_TIMESCALE_URL and TEST_REDIS_URL must be set (./build/test sets them)")
    logs = os.environ.get("TEST_RESULTS_DIR") or str(tmp_path)
    started = []

    def start(**env):
        settings = {"TIMESCALE_URL": database, "REDIS_URL": redis}
        settings.update(env)
        name = "python-%s-%d.log" % (request.node.name, len(started))
        instance = ServiceProcess(dll, os.path.join(logs, name), settings)
        started.append(instance)
        return instance.start()

    yield start
    for instance in started:
        instance.kill()


class TcpProxy:
    """Forwards a port to PostgreSQL; cut() drops every connection and refuses new ones until restore()."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._connections = set()
        self._lock = threading.Lock()
        self._listener = None
        self._open = False
        self.restore()

    def restore(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self._lock:
            self._listener = listener
            self._open = True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        with self._lock:
            self._open = False
            # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux, and
            # the port would go on accepting connections through the cut.
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self._connections.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if not self._open or listener is not self._listener:
                    # Accepted just as the cut began: it must not outlive it.
                    client.close()
                    server.close()
                    return
                self._connections.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def database_proxy():
    """A TcpProxy to the test database, and the TIMESCALE_URL that goes through it."""
    url = urllib.parse.urlsplit(os.environ.get("TEST_TIMESCALE_URL", ""))
    if not url.hostname:
        pytest.fail("TEST_TIMESCALE_URL must name the test database (./build/test sets it)")
    proxy = TcpProxy(url.hostname, url.port or 5432)
    userinfo = url.netloc.rsplit("@", 1)[0] + "@" if "@" in url.netloc else ""
    through = url._replace(netloc="%s127.0.0.1:%d" % (userinfo, proxy.port)).geturl()
    yield proxy, through
    proxy.cut()
