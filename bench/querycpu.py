"""
CPU of the hot path's one query (``accounts.queries.live_session``) per call, in the worker and in
the database server, with the statement the backend gets against the plain one, alternating.

    DATABASE_URL=mysql://root@127.0.0.1:3306/authsite_bench .venv/bin/python bench/querycpu.py
    DATABASE_URL=... .venv/bin/python bench/querycpu.py [-n 1000] [--rounds 30] [--request]

In one process and on one connection: a user with two roles and a live session, then rounds of
``-n`` calls with each statement in turn ("backend's": prepared on MariaDB; "plain": the SQL sent
whole, as on MySQL, SQLite and PostgreSQL). The worker's CPU is ``time.process_time``; on
MariaDB/MySQL the server's is the CPU of the connection's own server thread
(``information_schema.PROCESSLIST.TID``, ``/proc/<mariadbd>/task/<tid>/schedstat``: run it on
the database's machine, as root or as the server's user), so other clients' queries do not count.
With ``--request`` each call is a whole ``GET /api/test/user`` through Django's WSGI handler (as
bench/profile.py makes it) instead of ``live_session()`` alone. Prints the medians and the ranges
over the rounds: on a shared machine read the medians.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import setup_django, user_with_session  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--request", action="store_true", help="whole requests to /api/test/user")
    args = parser.parse_args()
    setup_django("querycpu")
    from django.db import connection

    from accounts import queries

    user, session, _ = user_with_session("querycpu", "querycpu-password-42")

    def call():
        return queries.live_session(session.pk, user.pk).role_ids

    if args.request:
        from django.core.handlers.wsgi import WSGIHandler

        from accounts.tokens import AccessToken

        handler = WSGIHandler()
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": "/api/test/user", "SERVER_NAME": "testserver",
            "SERVER_PORT": "80", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "SCRIPT_NAME": "", "HTTP_X_ACCESS_TOKEN": str(AccessToken.for_session(session)),
        }

        def call():
            statuses = []
            body = handler({**environ, "wsgi.input": io.BytesIO()}, lambda status, headers: statuses.append(status))
            b"".join(body)
            body.close()
            return statuses[0].startswith("200")

    server_cpu = lambda: 0.0  # noqa: E731 (no server thread to read: SQLite, or another machine)
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
            (tid,) = cursor.fetchone()
        pid = subprocess.run(["pidof", "mariadbd", "mysqld"], capture_output=True, text=True).stdout.split()
        stat = Path(f"/proc/{pid[0]}/task/{tid}/schedstat") if pid else None
        if stat and stat.exists():
            server_cpu = lambda: int(stat.read_text().split()[0]) / 1e9  # noqa: E731

    statements = {
        "backend's": queries.statement_for(connection),
        "plain": queries.LiveSessionStatement(connection),
    }
    key = ("default", connection.vendor)
    worker = {name: [] for name in statements}
    server = {name: [] for name in statements}
    for round_ in range(args.rounds + 1):
        for name, statement in statements.items():
            queries._statements[key] = statement
            assert call()
            start, server_start = time.process_time(), server_cpu()
            for _ in range(args.n):
                call()
            if round_:  # the first round warms up
                worker[name].append((time.process_time() - start) / args.n * 1e6)
                server[name].append((server_cpu() - server_start) / args.n * 1e6)
    backends = type(statements["backend's"]).__name__
    print(f"{connection.vendor}: the backend's statement is {backends}; load {os.getloadavg()[0]:.1f}")
    for name in statements:
        print(
            f"{name:10s} worker {statistics.median(worker[name]):6.1f} µs "
            f"[{min(worker[name]):.0f}-{max(worker[name]):.0f}]   "
            f"server {statistics.median(server[name]):6.1f} µs [{min(server[name]):.0f}-{max(server[name]):.0f}]"
        )


if __name__ == "__main__":
    main()
