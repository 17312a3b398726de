"""
Processes for the deployment tests and the scale-out benchmark: authsite's production server
(``server.py``) and a haproxy in front of several of them. Standard library only.

Each process runs in its own process group and is stopped by signalling the whole group: killing
only granian's main process would leave its workers serving on the socket.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"


def free_port(host="127.0.0.1"):
    """A port on ``host`` that was free a moment ago (the OS picked it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def stop_group(process, sig=signal.SIGTERM, timeout=15):
    """
    Signal the process group of ``process`` (a ``Popen`` started with ``start_new_session``: granian's
    workers too) and wait for its leader; SIGKILL the group if the leader outlasts ``timeout``.
    """
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def request(host, port, method, path, body=None, headers=None, source=None, timeout=30):
    """One request on a new connection (from the loopback address ``source`` if given)."""
    connection = http.client.HTTPConnection(
        host, port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={
            "Content-Type": "application/json", "Host": "localhost", **(headers or {}),
        })
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


class Process:
    """A command in its own process group, output to ``log``."""

    def __init__(self, argv, env, log):
        self.argv, self.env, self.log = argv, env, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Signal the whole group (granian's workers too) and wait for the leader."""
        if self.running():
            stop_group(self.process, sig)

    def stop(self):
        self.kill(signal.SIGTERM)

    def group_gone(self):
        """No live process of the group is left (granian's workers included; zombies count as gone)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid and fields[0] != "Z":
                return False
        return True


class Instance(Process):
    """``python server.py --host H --port P`` (the image's ENTRYPOINT and arguments)."""

    def __init__(self, name, host, port, env, log, workers=1):
        argv = [PYTHON, "server.py", "--host", host, "--port", str(port), "--workers", str(workers)]
        super().__init__(argv, env, log)
        self.name, self.host, self.port = name, host, port

    def request(self, method, path, **kwargs):
        return request(self.host, self.port, method, path, **kwargs)

    def healthy(self):
        try:
            return self.request("GET", "/readyz", timeout=2).status == 200
        except OSError:
            return False

    def start(self, timeout=60):
        super().start()
        wait_for(lambda: self.healthy() or not self.running(), timeout, f"{self.name} to serve")
        if not self.running():
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
        return self


class Balancer(Process):
    """
    haproxy with deploy/haproxy.cfg (the README's configuration), listening on ``host:port``,
    round-robin over ``instances``, plus what only the test needs: the serving instance named in
    an ``X-Served-By`` response header, and a stats socket to read the servers' states.
    """

    def __init__(self, host, port, instances, workdir, log):
        self.host, self.port = host, port
        self.socket = Path(workdir) / "haproxy.sock"
        config = Path(workdir) / "haproxy.cfg"
        servers = "".join(
            f"    server {i.name} {i.host}:{i.port} check\n" for i in instances
        )
        config.write_text(
            HAPROXY_CFG.read_text()
            + f"    http-response set-header X-Served-By %s\n{servers}"
            + f"\nglobal\n    stats socket {self.socket} mode 600 level admin\n"
        )
        env = {**os.environ, "AUTHSITE_LB_BIND": f"{host}:{port}", "AUTHSITE_HOST": "localhost"}
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        super().__init__([haproxy, "-W", "-db", "-f", str(config)], env, log)

    def start(self, timeout=20):
        super().start()
        wait_for(lambda: self.states() and all(s == "UP" for s in self.states().values())
                 or not self.running(), timeout, "haproxy to see every instance UP")
        if not self.running():
            raise RuntimeError(f"haproxy exited with {self.process.returncode}")
        return self

    def command(self, line):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.socket))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self):
        """``{server name: "UP" | "DOWN" | ...}`` of the backend, from haproxy's stats."""
        try:
            csv = self.command("show stat")
        except OSError:
            return {}
        lines = [line.split(",") for line in csv.splitlines() if line and not line.startswith("#")]
        return {f[1]: f[17].split()[0] for f in lines if f[0] == "authsite" and f[1] != "BACKEND"}

    def request(self, method, path, **kwargs):
        return request(self.host, self.port, method, path, **kwargs)
