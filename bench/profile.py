"""
Profile one endpoint in-process with pyinstrument: the full Django stack (middleware, DRF, the
database) through Django's WSGI handler, without the HTTP server.

    .venv/bin/python bench/profile.py /api/test/user [--header x-access-token] [-n 2000]
"""

import argparse
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import setup_django, user_with_session  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--header", choices=["x-access-token", "bearer", "none"], default="x-access-token")
    parser.add_argument("--role", default="moderator")
    parser.add_argument("--post", metavar="JSON", help="POST this body ({username}, {password}, {refresh} filled in)")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--time", action="store_true", help="CPU time per request, no profiler")
    parser.add_argument("--flat", type=int, metavar="N", help="cProfile instead: the N costliest functions, flat")
    args = parser.parse_args()

    setup_django("profile")
    from django.core.handlers.wsgi import WSGIHandler
    from pyinstrument import Profiler

    from accounts.tokens import AccessToken

    password = "profile-password-42"
    user, session, refresh = user_with_session("prof", password, roles=("user", args.role))
    username = user.username
    token = str(AccessToken.for_session(session))
    fill = {"{password}": password, "{username}": username, "{refresh}": refresh}
    body = args.post or ""
    for placeholder, value in fill.items():
        body = body.replace(placeholder, value)
    body = body.encode()
    environ = {
        "REQUEST_METHOD": "POST" if args.post else "GET", "PATH_INFO": args.path,
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr, "SCRIPT_NAME": "",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
    }
    if args.header == "x-access-token":
        environ["HTTP_X_ACCESS_TOKEN"] = token
    elif args.header == "bearer":
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    handler = WSGIHandler()
    body_bytes = body

    def request():
        statuses = []
        body = handler(
            {**environ, "wsgi.input": io.BytesIO(body_bytes)},
            lambda status, headers: statuses.append(status),
        )
        b"".join(body)
        body.close()
        return statuses[0]

    print("status:", request())
    if args.time:
        import time

        for _ in range(200):
            request()
        best = float("inf")
        for _ in range(5):  # the best of five rounds: the least disturbed by other load
            start = time.process_time()
            for _ in range(args.n):
                request()
            best = min(best, (time.process_time() - start) / args.n)
        print(f"{args.path} ({args.header}): {best * 1e6:.0f} µs CPU per request (best of 5 × {args.n})")
        return
    if args.flat:
        # This file's folder comes first on sys.path, and its name shadows the stdlib's profile.
        sys.path.remove(str(Path(__file__).resolve().parent))
        sys.modules.pop("profile", None)
        import cProfile
        import pstats

        for _ in range(200):
            request()
        with cProfile.Profile() as cprofile:
            for _ in range(args.n):
                request()
        stats = pstats.Stats(cprofile)
        for key in ("tottime", "cumulative"):
            stats.sort_stats(key).print_stats(args.flat)
        return
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(args.n):
        request()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=os.environ.get("PROFILE_ALL") == "1"))


if __name__ == "__main__":
    main()
