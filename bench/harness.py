"""
Run authsite's production server against a fresh database, for the benchmark (bench/servers.py) and
the schema fuzzing in CI (.ci/fuzz.py). Standard library only.

``Server(port, server=PRODUCTION)`` migrates a new SQLite database in a temporary directory
(or uses ``database_url``), starts the server on 127.0.0.1:``port`` with production settings
(DEBUG off, throttling off, fixed throw-away keys) and stops it, and everything it started, on exit.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
CORES = os.cpu_count() or 1

# name -> command line for a bind address. The first is production's (server.py); the others
# are the alternatives it was chosen against.
def host_port(addr):
    return addr.rsplit(":", 1)


SERVERS = {
    "granian-rsgi": lambda addr: [
        PYTHON, "server.py", "--host", host_port(addr)[0], "--port", host_port(addr)[1],
    ],
    # What server.py ran before issue 8: granian's WSGI interface merges X_Foo into X-Foo.
    "granian-wsgi": lambda addr: [
        BIN / "granian", "--interface", "wsgi", "--host", host_port(addr)[0], "--port", host_port(addr)[1],
        "--workers", str(CORES), "--blocking-threads", "1", "--no-ws", "--log-level", "warning",
        "authsite.wsgi:application",
    ],
    "gunicorn-sync": lambda addr: [
        BIN / "gunicorn", "-c", "bench/gunicorn.conf.py", "--bind", addr,
    ],
    "gunicorn-gthread": lambda addr: [
        BIN / "gunicorn", "-c", "bench/gunicorn.conf.py", "--bind", addr,
        "--worker-class", "gthread", "--workers", str(CORES), "--threads", "4",
    ],
    "uvicorn-asgi": lambda addr: [
        BIN / "uvicorn", "--host", host_port(addr)[0], "--port", host_port(addr)[1],
        "--workers", str(2 * CORES), "--no-access-log", "--log-level", "warning",
        "authsite.asgi:application",
    ],
}
PRODUCTION = "granian-rsgi"


class Server:
    def __init__(self, port, server=PRODUCTION, database_url=None, env=None, log=None):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.server = server
        self.tmp = tempfile.TemporaryDirectory(prefix="authsite-server-")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "authsite.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url or f"sqlite:///{self.tmp.name}/db.sqlite3",
            "THROTTLE_ENABLED": "0",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.log = log or open(Path(self.tmp.name) / "server.log", "w")
        self.process = None

    def manage(self, *args):
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    def __enter__(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        else:
            raise RuntimeError(f"127.0.0.1:{self.port} is taken by another server")
        # A SIGTERM (CI stopping the run) unwinds the with-blocks, so the server is stopped too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.manage("migrate", "--no-input", "-v0")
        command = SERVERS[self.server](f"127.0.0.1:{self.port}")
        self.process = subprocess.Popen(
            [str(part) for part in command],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        self.tmp.cleanup()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.server} exited with {self.process.returncode}")
            try:
                if self.request("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.server} did not become ready on {self.base}")

    def request(self, method, path, body=None, headers=None):
        """``(status, parsed JSON or text)``."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload, kind = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, payload, kind = error.code, error.read(), error.headers
        if kind.get_content_type() == "application/json":
            return status, json.loads(payload)
        return status, payload.decode()

    def user(self, username, roles=("user",), password="bench-password-9f3k"):
        """Sign a new user up (roles granted with `manage.py roles`) and in: the signin body."""
        status, body = self.request(
            "POST", "/api/auth/signup",
            {"username": username, "email": f"{username}@example.com", "password": password},
        )
        if status != 200:
            raise RuntimeError(f"signup {username}: {status} {body}")
        extra = [role for role in roles if role != "user"]
        if extra:
            self.manage("roles", "grant", username, *extra)
        status, body = self.request(
            "POST", "/api/auth/signin", {"username": username, "password": password}
        )
        if status != 200:
            raise RuntimeError(f"signin {username}: {status} {body}")
        body["password"] = password
        return body

    def wrk_scenarios(self, tag):
        """
        wrk's options and path per scenario (``all``, ``user``, ``mod``, ``signin``), for users of
        their own named ``bench_<scenario>_<tag>``: the boards with their users' access tokens, and
        sign-in as one user over and over (a wrk script posting the body, wrk's timeout 10 s).
        """
        user = self.user(f"bench_user_{tag}")
        mod = self.user(f"bench_mod_{tag}", roles=("user", "moderator"))
        signer = self.user(f"bench_sign_{tag}")
        lua = Path(self.tmp.name) / "signin.lua"
        lua.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.body = \'{{"username": "{signer["username"]}", "password": "{signer["password"]}"}}\'\n'
        )
        return {
            "all": ["/api/test/all"],
            "user": ["-H", f"x-access-token: {user['accessToken']}", "/api/test/user"],
            "mod": ["-H", f"x-access-token: {mod['accessToken']}", "/api/test/mod"],
            "signin": ["-s", str(lua), "--timeout", "10s", "/api/auth/signin"],
        }

    def pids(self):
        """The server's processes (its process group: master and workers), master first."""
        out = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return sorted(int(pid) for pid in out.split())

    def rss_kib(self):
        """Total resident memory of the server's processes (master and workers), in KiB."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total
