"""
Through the production server (granian, whose workers keep their database connection between
requests): a worker whose database loses a table it needs answers 503 with ``Retry-After``, not
500, and serves again as soon as the table is back, without a restart. (On MariaDB the lost table
was a ``ProgrammingError`` 1146, a 500; a connection whose database was dropped fails the same way.)
"""

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.apps import create_cache_table
from authsite.exceptions import UNAVAILABLE_MESSAGE
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    scheme, default_port = {"mysql": ("mysql", 3306), "postgresql": ("postgres", 5432)}[connection.vendor]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"{scheme}://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or default_port}/{db['NAME']}"



def call(port, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json", "Host": "127.0.0.1"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def production_server(transactional_db):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JWT_SIGNING_KEY": settings.SIMPLE_JWT["SIGNING_KEY"],
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "600",
    }
    process = subprocess.Popen(
        [sys.executable, "server.py", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server.py did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


SIGNIN = {"username": "nobody", "password": "some password 1"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_that_loses_a_table_answers_503_then_recovers(production_server, request):
    port = production_server
    assert request_status(port) == 401  # the worker now holds a connection
    assert request_ready(port) == 200
    request.getfixturevalue("without_cache_table")
    status, headers, body = call(port, "POST", "/api/auth/signin", SIGNIN)
    assert (status, json.loads(body)) == (503, {"message": UNAVAILABLE_MESSAGE})
    assert headers["retry-after"] == "5"
    assert request_ready(port) == 503
    create_cache_table()
    assert request_status(port) == 401
    assert request_ready(port) == 200


def request_status(port):
    return call(port, "POST", "/api/auth/signin", SIGNIN)[0]


def request_ready(port):
    return call(port, "GET", "/readyz")[0]
