"""
CPU time of the parts of a token-checked request, each timed directly, in-process: the token's
verification, the hot query, ``get_user``, the whole authentication, Django's request signals, URL
resolving, and whole requests for comparison.

    DATABASE_URL=mysql://root@127.0.0.1:3306/authsite_bench .venv/bin/python bench/parts.py [PART ...]
    ... bench/parts.py --after-sleep 200 access_token     # each call right after a 200 µs sleep

Rounds alternate between the parts (so that the machine's load drifts over all of them alike);
per part the median and the range of the rounds, in µs of CPU per call. ``--after-sleep`` puts
each call right after a sleep (the sleep's own CPU is measured as the part ``sleep`` and
subtracted): a request's Python runs after the worker waited for the database or the next
request, with caches the other processes used meanwhile, and costs more than in a hot loop
(BENCHMARKS.md, "Why the parts do not add up to the whole").
"""

import argparse
import gc
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import setup_django, user_with_session  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("parts", nargs="*")
    parser.add_argument("-n", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--after-sleep", type=int, default=0, metavar="µs")
    args = parser.parse_args()

    setup_django("parts")
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory
    from django.urls import get_resolver
    from rest_framework.request import Request

    from accounts.cookie_authentication import CookieTokenAuthentication
    from accounts.queries import live_session
    from accounts.tokens import AccessToken

    user, session, _ = user_with_session("parts", "parts-password-42")
    raw = str(AccessToken.for_session(session))
    token = AccessToken(raw)
    authenticator = CookieTokenAuthentication()
    drf_request = Request(RequestFactory().get("/api/test/user", HTTP_X_ACCESS_TOKEN=raw))
    handler = WSGIHandler()
    resolver = get_resolver()

    def request(path, with_token):
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
            "HTTP_HOST": "testserver", "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "SCRIPT_NAME": "", "wsgi.input": io.BytesIO(b""),
        }
        if with_token:
            environ["HTTP_X_ACCESS_TOKEN"] = raw
        body = handler(environ, lambda status, headers: None)
        b"".join(body)
        body.close()

    def signals_sent():
        signals.request_started.send(sender=WSGIHandler, environ={})
        signals.request_finished.send(sender=WSGIHandler)

    parts = {
        "access_token": lambda: AccessToken(raw),
        "live_session": lambda: live_session(session.pk, user.pk),
        "get_user": lambda: authenticator.get_user(token),
        "get_user_of_new_token": lambda: authenticator.get_user(AccessToken(raw)),
        "authenticate": lambda: authenticator.authenticate(drf_request),
        "signals": signals_sent,
        "resolve_user": lambda: resolver.resolve("/api/test/user"),
        "request_all": lambda: request("/api/test/all", False),
        "request_user": lambda: request("/api/test/user", True),
    }
    chosen = args.parts or list(parts)
    sleep = args.after_sleep / 1e6
    if sleep:
        parts["sleep"] = lambda: None
        chosen = ["sleep", *chosen]

    def timed(part):
        call = parts[part]
        start = time.process_time()
        if sleep:
            for _ in range(args.n):
                time.sleep(sleep)
                call()
        else:
            for _ in range(args.n):
                call()
        return (time.process_time() - start) / args.n * 1e6

    gc.collect()
    gc.freeze()  # as the production server does after its preload (authsite/memory.py)
    for part in chosen:
        for _ in range(100):
            parts[part]()
    results = {part: [] for part in chosen}
    for number in range(args.rounds):
        for part in chosen if number % 2 else reversed(chosen):
            results[part].append(timed(part))
    for part in chosen:
        values = sorted(results[part])
        print(f"{part:24s} {statistics.median(values):8.1f} µs  [{values[0]:.1f}-{values[-1]:.1f}]")


if __name__ == "__main__":
    main()
