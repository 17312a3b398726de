"""
Sign-in timing by kind of account, through the production server: does a failed sign-in reveal
who exists, or who was imported from the Node app and has not signed in since?

    .venv/bin/python bench/signin_timing.py [--port 18350] [--rounds 150]

Starts server.py (bench/harness.py: production settings, fresh SQLite database, throttling off),
signs up an Argon2id user, gives another user a bcryptjs cost-8 hash as `import_node_users`
stores it (made by nodeimport's hasher: same bytes as bcryptjs, tests/test_node_hashers.py), then
sends wrong-password sign-ins for three kinds of username, interleaved so that all three see the
same machine load: unknown, Argon2id user, not-yet-upgraded bcrypt user. Prints the median,
p10 and p90 latency of each (ms), the medians' gaps, and the bare hasher costs in-process (what
the gap would be without nodeimport's padding).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import Server

PASSWORD = "bench-password-9f3k"
SET_BCRYPT = (
    "from django.contrib.auth.hashers import get_hasher; from accounts.models import User; "
    "h = get_hasher('bcryptjs'); u = User.objects.get(username='legacy'); "
    f"u.password = h.encode({PASSWORD!r}, h.salt()); u.save(update_fields=['password']); "
    "print(u.password[:16])"
)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def hasher_costs(rounds=30):
    """Bare in-process costs (ms, median) of the three hash operations a failed sign-in runs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    import bcrypt
    from django.contrib.auth.hashers import get_hasher

    argon2 = get_hasher("default")
    encoded = argon2.encode(PASSWORD, argon2.salt())
    node_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(8))

    def median_ms(work):
        runs = []
        for _ in range(rounds):
            started = time.perf_counter()
            work()
            runs.append((time.perf_counter() - started) * 1000)
        return statistics.median(runs)

    return {
        "argon2id hash (unknown user)": median_ms(lambda: argon2.encode("wrong", argon2.salt())),
        "argon2id verify (wrong password)": median_ms(lambda: argon2.verify("wrong", encoded)),
        "bcrypt cost 8 verify, unpadded": median_ms(lambda: bcrypt.checkpw(b"wrong", node_hash)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 18350)))
    parser.add_argument("--rounds", type=int, default=150)
    args = parser.parse_args()

    with Server(args.port) as server:
        server.user("modern", password=PASSWORD)
        server.user("legacy", password=PASSWORD)
        server.manage("shell", "-c", SET_BCRYPT)
        kinds = {"unknown user": "nobody", "argon2id user": "modern", "bcrypt user": "legacy"}
        timings = {kind: [] for kind in kinds}
        for kind, username in kinds.items():  # warm-up: workers load, the padding calibrates
            for _ in range(5):
                server.request("POST", "/api/auth/signin", {"username": username, "password": "x"})
        for _ in range(args.rounds):
            for kind, username in kinds.items():
                started = time.perf_counter()
                status, _ = server.request(
                    "POST", "/api/auth/signin", {"username": username, "password": "wrong pw"}
                )
                timings[kind].append((time.perf_counter() - started) * 1000)
                assert status == 401, status
        status, body = server.request(
            "POST", "/api/auth/signin", {"username": "legacy", "password": PASSWORD}
        )
        assert status == 200, body

    print(f"Wrong-password sign-ins through server.py, {args.rounds} each, interleaved (ms):")
    print("| username | median | p10 | p90 |")
    print("|---|---|---|---|")
    medians = {}
    for kind, values in timings.items():
        medians[kind] = statistics.median(values)
        print(f"| {kind} | {medians[kind]:.1f} | {percentile(values, 0.1):.1f} "
              f"| {percentile(values, 0.9):.1f} |")
    base = medians["unknown user"]
    for kind in ("argon2id user", "bcrypt user"):
        print(f"gap of the median, {kind} - unknown user: {medians[kind] - base:+.1f} ms")
    print("\nBare hasher costs in-process (median ms):")
    for name, cost in hasher_costs().items():
        print(f"- {name}: {cost:.1f}")


if __name__ == "__main__":
    main()
