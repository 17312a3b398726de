"""
The real production server (``server.py``) for tests where the server matters: raw headers, Host
checks, concurrency, several processes. The test client and runserver hide what granian does.

    from tests.servers import ProductionServer, raw_request

    with ProductionServer(env={"DJANGO_ALLOWED_HOSTS": "127.0.0.1"}) as server:
        status, headers, body = raw_request(server.port, b"GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n")
        status, headers, body = server.request("GET", "/api/test/all")

``ProductionServer`` (a context manager):

- runs ``server.py`` as a subprocess in its own process group (its workers included), bound to
  127.0.0.1 on a free port (the OS picks it: bind to port 0, read it back), so several checkouts
  and test runs can use the machine at once;
- gives it production settings (``DJANGO_DEBUG=0``, throw-away keys, ``DJANGO_ALLOWED_HOSTS``
  ``127.0.0.1,localhost``, throttling off, one worker) and a fresh migrated SQLite database of its
  own in a temporary directory (the migrated file is made once per test session and copied), then
  ``env`` on top: pass ``DATABASE_URL`` / ``REDIS_URL`` to point it elsewhere (that database must
  already be migrated); variables of the test run (``DJANGO_*``, ``JWT_*``, ``DATABASE_*``,
  ``PROXY_AUTH*``, ``REDIS_URL``) never leak into it;
- waits until ``GET /healthz`` answers 200 (raises, with the server's log, if it exits or takes
  longer than ``timeout`` seconds);
- on exit stops the whole process group (SIGTERM, then SIGKILL after 10 s) and removes its files.

``server.log()`` returns what the server wrote so far (stdout and stderr). ``server.manage(...)``
runs a ``manage.py`` command with the server's environment (e.g. ``roles grant``).

The ``production_server`` fixture (tests/conftest.py) is a factory for this class.
"""

import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.scaleout.cluster import free_port, stop_group

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LEAKY_VARIABLES = ("DJANGO_", "JWT_", "DATABASE_", "PROXY_AUTH", "REDIS_URL", "LOG_LEVEL", "THROTTLE_")

_migrated = {}


def clean_environ(**env):
    base = {key: value for key, value in os.environ.items() if not key.startswith(LEAKY_VARIABLES)}
    return {**base, **env}


def migrated_sqlite(env):
    """The path of a migrated SQLite database made once per test session (copied per server)."""
    if "path" not in _migrated:
        directory = tempfile.mkdtemp(prefix="authsite-migrated-")
        path = Path(directory) / "db.sqlite3"
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT, env={**env, "DATABASE_URL": f"sqlite:///{path}"}, check=True, timeout=120,
        )
        _migrated["path"] = path
    return _migrated["path"]


class ProductionServer:
    def __init__(self, env=None, timeout=60):
        self.tmp = Path(tempfile.mkdtemp(prefix="authsite-server-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self.env = clean_environ(
            DJANGO_SETTINGS_MODULE="authsite.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
            JWT_SIGNING_KEY=secrets.token_urlsafe(48),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            THROTTLE_ENABLED="0",
            LOG_LEVEL="WARNING",
        )
        self.env.update(env or {})
        self.process = None
        self.log_path = self.tmp / "server.log"

    def __enter__(self):
        if "DATABASE_URL" not in self.env:
            database = self.tmp / "db.sqlite3"
            shutil.copyfile(migrated_sqlite(self.env), database)
            self.env["DATABASE_URL"] = f"sqlite:///{database}"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PYTHON, "server.py", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            stop_group(self.process, timeout=10)

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def wait_ready(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server.py did not answer /healthz within {self.timeout} s:\n{self.log()}")

    def request(self, method, path, body=None, headers=None):
        """``(status, headers as a dict with lower-case names, body bytes)`` through http.client."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def manage(self, *args):
        return subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True,
            text=True, timeout=60,
        ).stdout


def raw_request(port, data, timeout=10):
    """
    Send ``data`` (bytes: a whole HTTP/1.1 request, exactly as given) to 127.0.0.1:``port`` and
    read one response: ``(status, [(name, value), ...], body bytes)``. For what http.client would
    not send (header names with underscores, a forged Host, duplicate headers).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock, method=data.split(b" ", 1)[0].decode("latin-1"))
        response.begin()
        return response.status, response.getheaders(), response.read()


def http_request(method, path, headers=(), body=b""):
    """The bytes of an HTTP/1.1 request with exactly these ``(name, value)`` headers, in order."""
    lines = [f"{method} {path} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
