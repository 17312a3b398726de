"""
CPU per request on the wire: production's server under wrk, with the CPU time its processes (and
the database server's) spent during the run, read from /proc. CPU time barely moves when other
work shares the cores, unlike req/s, so this compares changes on a busy machine.

    .venv/bin/python bench/servercpu.py --database-url mysql://root@127.0.0.1:3306/authsite_bench
    .venv/bin/python bench/servercpu.py --only all,user --seconds 8 --workers 1

Per scenario: req/s, p99 latency, and µs of CPU per request spent by the server (master and workers), by
mariadbd/postgres (when the database is local; 0 for SQLite) and by wrk.
"""

import argparse
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import PRODUCTION, SERVERS, Server
from bench.servers import to_ms

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def named(*names):
    out = subprocess.run(["pgrep", "-x", "|".join(names)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8502)))
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--only", default="all,user,mod,signin")
    args = parser.parse_args()
    if args.workers:
        production = SERVERS[PRODUCTION]
        SERVERS[PRODUCTION] = lambda addr: [*production(addr), "--workers", str(args.workers)]
    with Server(args.port, database_url=args.database_url) as server:
        scenarios = server.wrk_scenarios(secrets.token_hex(3))
        print(f"{'scenario':8} {'req/s':>8} {'p99 ms':>8} {'server µs/req':>13} {'db µs/req':>9} {'wrk µs/req':>10} "
              f"{'non-2xx':>7}")
        for name in args.only.split(","):
            *opts, path = scenarios[name]
            url = server.base + path
            base = ["wrk", "-t2", f"-c{args.connections}", "--latency", *opts]
            subprocess.run([*base, "-d2s", url], capture_output=True, check=True)  # warm-up
            pids, db = server.pids(), named("mariadbd", "mysqld", "postgres")
            wrk = subprocess.Popen([*base, f"-d{args.seconds}s", url], stdout=subprocess.PIPE, text=True)
            before_server, before_db, before_wrk = cpu_seconds(pids), cpu_seconds(db), os.times()
            out, _ = wrk.communicate()
            after_server, after_db, after_wrk = cpu_seconds(pids), cpu_seconds(db), os.times()
            requests = int(re.search(r"(\d+) requests in", out).group(1))
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            p99 = to_ms(re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M).group(1))
            wrk_cpu = (after_wrk.children_user + after_wrk.children_system
                       - before_wrk.children_user - before_wrk.children_system)
            print(f"{name:8} {rps:8.0f} {p99:8.1f} {(after_server - before_server) / requests * 1e6:13.0f} "
                  f"{(after_db - before_db) / requests * 1e6:9.0f} {wrk_cpu / requests * 1e6:10.0f} "
                  f"{non2xx.group(1) if non2xx else 0:>7}",
                  flush=True)


if __name__ == "__main__":
    main()
