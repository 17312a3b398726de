"""
Does POST /api/auth/password/forgot take the same time for an address with an account and for
one without? The production server (server.py, production settings, fresh SQLite database or
DATABASE_URL) on 127.0.0.1:$PORT (default 18620); N (default 200) requests for each, interleaved,
after a warm-up; prints the medians and their difference. The mail worker is not running, as when
it is busy elsewhere: the request only writes the outbox row either way.

Usage: .venv/bin/python bench/forgot_timing.py [N]
"""

import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import Server

PORT = int(os.environ.get("PORT", "18620"))


def main(count):
    with Server(PORT, database_url=os.environ.get("DATABASE_URL")) as server:
        server.user("alice")
        connection = http.client.HTTPConnection("127.0.0.1", PORT)

        def timed(address):
            body = json.dumps({"email": address})
            start = time.perf_counter()
            connection.request("POST", "/api/auth/password/forgot", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            assert response.status == 200, response.status
            return elapsed * 1000

        for index in range(20):  # warm-up
            timed("alice@example.com" if index % 2 else f"warm{index}@example.com")
        known, unknown = [], []
        for index in range(count):
            pair = [(known, "alice@example.com"), (unknown, f"nobody{index}@example.com")]
            for samples, address in pair if index % 2 else reversed(pair):
                samples.append(timed(address))
        k, u = statistics.median(known), statistics.median(unknown)
        print(f"forgot, {count} interleaved requests each (keep-alive, production server, throttling off):")
        print(f"  existing account: median {k:.3f} ms (p90 {statistics.quantiles(known, n=10)[-1]:.3f})")
        print(f"  unknown address:  median {u:.3f} ms (p90 {statistics.quantiles(unknown, n=10)[-1]:.3f})")
        print(f"  difference of medians: {abs(k - u):.3f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
