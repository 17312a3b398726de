"""
server.py preloads the application in granian's master only when two or more workers share it:
with one worker the master's copy would only count twice in the server's memory (BENCHMARKS.md,
"Memory").
"""

import subprocess
from pathlib import Path

import pytest

import server


@pytest.fixture
def calls(monkeypatch):
    calls = []

    class Built:
        def serve(self):
            calls.append("serve")

    monkeypatch.setattr(server.memory, "preload", lambda application: calls.append(("preload", application)))
    monkeypatch.setattr(server, "build", lambda host, port, workers: calls.append(("build", workers)) or Built())
    return calls


def test_two_workers_share_the_application_preloaded_before_the_fork(calls):
    server.serve("127.0.0.1", 8000, workers=2)
    assert calls == [("preload", server.APPLICATION), ("build", 2), "serve"]


def test_one_worker_imports_the_application_itself(calls):
    server.serve("127.0.0.1", 8000, workers=1)
    assert calls == [("build", 1), "serve"]


def mapped_files(pid):
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if "/" in line}


def test_the_one_worker_servers_master_holds_no_application(production_server):
    # tests.servers runs server.py with one worker, on SQLite: after a request that queries, the
    # worker has loaded the database driver's binary module, the master has not.
    running = production_server()
    assert running.request("GET", "/readyz")[0] == 200
    master = running.process.pid
    (worker,) = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    driver = {path for path in mapped_files(worker) if "/_sqlite3" in path}
    assert driver, "the worker should have loaded sqlite3's binary module"
    assert not driver & mapped_files(master)
