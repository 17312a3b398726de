"""
Scale-out load run: throughput through haproxy (deploy/haproxy.cfg) by number of authsite
instances, on one MariaDB database and one Redis database. Loopback only, bounded in time.

    .venv/bin/python bench/scaleout.py                # rewrites BENCHMARKS.md's scale-out table
    .venv/bin/python bench/scaleout.py --counts 1,2 --seconds 5

Instances are production's server (server.py), one worker each, on 127.0.0.2, .3, .4; the
balancer listens on 127.0.0.9. Also measured: one instance without the balancer (what haproxy
costs). Each configuration gets 2 s of warm-up (then the queue it left is drained), then wrk
(2 threads; 50 connections, sign-ins 8 per instance) for ``--seconds``. The machine's 2 cores
run the instances, haproxy, MariaDB, Redis and wrk alike, and are shared with other work: every
row records the cores the instances used and the whole machine used meanwhile.
The database (``--database-url``, default h15_scaleout_bench) is created and dropped.
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.servers import TICKS, busy_ticks, load_average, process_group_ticks, wrk
from tests.scaleout.cluster import (
    PYTHON,
    ROOT,
    Balancer,
    Instance,
    free_port,
    request,
)

BEGIN, END = "<!-- scaleout:begin -->", "<!-- scaleout:end -->"
HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
BALANCER_HOST = "127.0.0.9"
PASSWORD = "bench scale pass 7"


def mariadb(url, sql):
    import dj_database_url
    import MySQLdb

    config = dj_database_url.parse(url)
    connection = MySQLdb.connect(host=config["HOST"] or "127.0.0.1", port=int(config["PORT"] or 3306),
                                 user=config["USER"], password=config["PASSWORD"] or "")
    try:
        connection.cursor().execute(sql.format(name=config["NAME"]))
    finally:
        connection.close()


def cores(pgids, measure):
    """Run ``measure()``; return its result and the cores used by ``pgids`` and by the rest."""
    import time

    wall0, busy0 = time.monotonic(), busy_ticks()
    ours0 = sum(process_group_ticks(pgid) for pgid in pgids)
    result = measure()
    seconds = time.monotonic() - wall0
    ours = (sum(process_group_ticks(pgid) for pgid in pgids) - ours0) / TICKS / seconds
    busy = (busy_ticks() - busy0) / TICKS / seconds
    return result, ours, busy


def drained(host, port, timeout=60):
    """Wait until a request is answered at once: the warm-up's queued requests have run."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        started = time.monotonic()
        request(host, port, "GET", "/healthz")
        if time.monotonic() - started < 0.05:
            return
        time.sleep(0.2)


def measure(label, url, headers, body, seconds, pgids, workdir, connections):
    host, port = url.split("/")[2].split(":")
    wrk(url, 2, headers, body, workdir, connections)
    drained(host, int(port))
    load = load_average()
    result, ours, busy = cores(pgids, lambda: wrk(url, seconds, headers, body, workdir, connections))
    result.update(label=label, load=load, cores=f"{ours:.2f} / {busy:.2f}",
                  connections=connections, per_core=result["rps"] / ours if ours else 0)
    print(f"{label:44} {result['rps']:7.0f} req/s  p50 {result['p50']:7.1f} ms  "
          f"p99 {result['p99']:7.1f} ms  non-2xx {result['non_2xx']}  cores {result['cores']}  "
          f"{result['socket_errors']}",
          flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--counts", default="1,2,3")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database-url", default="mysql://root@127.0.0.1:3306/h15_scaleout_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    counts = [int(n) for n in args.counts.split(",")]

    env = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": ",".join(["localhost", *HOSTS, BALANCER_HOST]),
        "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": f"h15-bench-{secrets.token_hex(4)}", "TRUSTED_PROXY_COUNT": "1",
        "THROTTLE_ENABLED": "0", "LOG_LEVEL": "WARNING",
    }
    mariadb(args.database_url, "DROP DATABASE IF EXISTS `{name}`")
    mariadb(args.database_url,
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    rows = []
    with tempfile.TemporaryDirectory(prefix="authsite-scaleout-bench-") as tmp:
        workdir = Path(tmp)
        log = open(workdir / "processes.log", "a")
        subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"],
                       cwd=ROOT, env=env, check=True)
        running = []
        try:
            for count in counts:
                instances = [Instance(f"app{n + 1}", host, free_port(host), env, log).start()
                             for n, host in enumerate(HOSTS[:count])]
                running += instances
                balancer = Balancer(BALANCER_HOST, free_port(BALANCER_HOST), instances, workdir,
                                    log).start()
                running.append(balancer)
                username = f"bench{count}"
                assert balancer.request("POST", "/api/auth/signup", body={
                    "username": username, "email": f"{username}@example.com",
                    "password": PASSWORD}).status == 200
                tokens = balancer.request("POST", "/api/auth/signin", body={
                    "username": username, "password": PASSWORD}).json()
                pgids = [p.process.pid for p in [*instances, balancer]]
                # Sign-ins take ~40 ms of CPU each: 50 connections would only queue (p99 = the
                # queue), so they get 8 per instance, haproxy's maxconn.
                targets = [
                    ("GET /api/test/user", "/api/test/user",
                     {"x-access-token": tokens["accessToken"]}, None, 50),
                    ("POST /api/auth/signin", "/api/auth/signin", {},
                     f'{{"username": "{username}", "password": "{PASSWORD}"}}', 8 * count),
                ]
                for name, path, headers, body, connections in targets:
                    if count == 1:
                        direct = instances[0]
                        rows.append(measure(
                            f"{name}, 1 instance, no balancer",
                            f"http://{direct.host}:{direct.port}{path}", headers, body,
                            args.seconds, pgids[:1], workdir, connections))
                    rows.append(measure(
                        f"{name}, {count} instance{'s' * (count > 1)} behind haproxy",
                        f"http://{balancer.host}:{balancer.port}{path}", headers, body,
                        args.seconds, pgids, workdir, connections))
                for process in [balancer, *instances]:
                    process.stop()
                running = []
        finally:
            for process in running:
                process.stop()
            mariadb(args.database_url, "DROP DATABASE IF EXISTS `{name}`")
            import redis

            client = redis.Redis.from_url(args.redis_url)
            stale = list(client.scan_iter(f"*{env['CACHE_KEY_PREFIX']}*"))
            if stale:
                client.delete(*stale)
    if not args.no_write:
        write(rows, args)


def write(rows, args):
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        f"Generated by `bench/scaleout.py --counts {args.counts} --seconds {args.seconds}` at "
        f"{stamp}; wrk 2 threads, 2 s warm-up (then the queue drained). `cores`: used by the instances "
        "and haproxy / by the whole machine (MariaDB, Redis, wrk and other people's work "
        "included) during the run.",
        "",
        "| configuration | connections | req/s | req/s per core used | p50 ms | p99 ms | non-2xx "
        "| cores | load before |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        *[f"| {r['label']} | {r['connections']} | {r['rps']:.0f} | {r['per_core']:.0f} | {r['p50']:.1f} "
          f"| {r['p99']:.1f} | {r['non_2xx']} | {r['cores']} | {r['load']} |" for r in rows],
        END,
    ]
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
