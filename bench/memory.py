"""
Memory of production's server after load, per process: the figure of BENCHMARKS.md's "Memory".

    .venv/bin/python bench/memory.py --database-url mysql://root@127.0.0.1:3306/authsite_bench
    .venv/bin/python bench/memory.py --workers 1 --mappings 12 --env MALLOC_ARENA_MAX=2

Starts server.py (harness.Server), puts it under a load like the side-by-side's (wrk -t2 -c50:
``/api/test/all``, ``/api/test/user`` with a token, then sign-ins), and prints, for the master and
each worker, RSS, PSS and private memory from ``/proc/PID/smaps_rollup`` (MiB), then the whole
process group's RSS and PSS as the side-by-side sums them. ``--mappings N`` adds each process's N
largest mappings by PSS (from ``/proc/PID/smaps``; anonymous ones summed as ``[anon]``).
"""

import argparse
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import PRODUCTION, SERVERS, Server


def rollup(pid):
    """``{field: KiB}`` of /proc/PID/smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields


def mappings(pid):
    """PSS in KiB per mapped file (anonymous memory, heap and stacks summed as ``[anon]``)."""
    totals, name = Counter(), None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
            path = parts[5] if len(parts) > 5 else ""
            name = path if path.startswith("/") else "[anon]"
        elif parts[0] == "Pss:":
            totals[name] += int(parts[1])
    return totals


def processes(server):
    """(pid, role) of the server's processes, master first."""
    master = server.process.pid
    return [(pid, "master" if pid == master else f"worker {n}") for n, pid in enumerate(server.pids())]


def mib(kib):
    return kib / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.strip().split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8503)))
    parser.add_argument("--workers", type=int)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--load", default="all:3,user:3,signin:4", help="scenario:seconds, in order")
    parser.add_argument("--mappings", type=int, default=0)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    args = parser.parse_args()
    if args.workers:
        production = SERVERS[PRODUCTION]
        SERVERS[PRODUCTION] = lambda addr: [*production(addr), "--workers", str(args.workers)]
    env = dict(item.split("=", 1) for item in args.env)
    with Server(args.port, database_url=args.database_url, env=env) as server:
        scenarios = server.wrk_scenarios(f"mem{os.getpid()}")
        for item in args.load.split(","):
            name, seconds = item.split(":")
            *opts, path = scenarios[name]
            subprocess.run(
                ["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", *opts, server.base + path],
                capture_output=True, check=True,
            )
        rows, total_rss, total_pss = [], 0, 0
        for pid, role in processes(server):
            fields = rollup(pid)
            private = fields["Private_Clean"] + fields["Private_Dirty"]
            total_rss += fields["Rss"]
            total_pss += fields["Pss"]
            rows.append((pid, role, fields))
            print(f"{role:9} pid {pid:7}  RSS {mib(fields['Rss']):6.1f}  PSS {mib(fields['Pss']):6.1f}  "
                  f"private {mib(private):6.1f}  anon {mib(fields['Anonymous']):6.1f}", flush=True)
        print(f"whole server  RSS {mib(total_rss):6.1f}  PSS {mib(total_pss):6.1f}")
        for pid, role, _ in rows if args.mappings else ():
            print(f"\n{role} (pid {pid}): largest mappings by PSS, MiB")
            for name, kib in mappings(pid).most_common(args.mappings):
                print(f"  {mib(kib):6.1f}  {name}")


if __name__ == "__main__":
    main()
