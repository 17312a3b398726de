"""
The production server: granian with authsite's settings, chosen by measurement against gunicorn
(sync and gthread) and uvicorn (BENCHMARKS.md). It runs Django's WSGI application through a thin
RSGI front (authsite/rsgi.py), not granian's WSGI interface, which merges header names that differ
only in ``_``/``-`` (a client's ``X_Forwarded_For`` could replace the proxy's ``X-Forwarded-For``).

    .venv/bin/python server.py --host 127.0.0.1 --port 8000

One worker per core, each running one request at a time (one application thread): the API's
requests are CPU-bound (JWT, JSON, Argon2id at sign-in), so more threads per process only contend
for the GIL, and more processes than cores only contend for the cores: with two per core, sign-in
throughput fell by a quarter and its p99 rose (BENCHMARKS.md). HTTP parsing and keep-alive happen
in granian's Rust runtime, outside the GIL. With more than one worker the application is imported
before the workers are forked, so they share it (authsite/memory.py, ``serve``); each worker's
event loop is uvloop (server CPU per request ~15% below asyncio's loop). Configure the app itself
through the environment (README, "Configuration").
"""

import argparse
import os

from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server import Server

from authsite import memory

WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


APPLICATION = "authsite.rsgi:application"


def build(host, port, workers=WORKERS):
    return Server(
        APPLICATION,
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        workers=workers,
        blocking_threads=1,
        loop=Loops.uvloop,
        websockets=False,
        backlog=1024,
        respawn_failed_workers=True,
        log_level=LogLevels.warning,
        log_access=False,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")
    serve(args.host, args.port, args.workers)


def serve(host, port, workers=WORKERS):
    """
    Serve, with the application preloaded in the master only when there are workers to share it.

    With two or more workers the master imports the application before granian forks them, so
    they share one copy (authsite/memory.py). With one worker there is nothing to share: the
    master's copy would only count twice (after load, whole server RSS 203 -> 143 MiB, PSS
    125 -> 109 MiB without it; BENCHMARKS.md, "Memory"), so the worker imports its own.
    """
    if workers > 1:
        memory.preload(APPLICATION)
    build(host, port, workers).serve()


if __name__ == "__main__":
    main()
