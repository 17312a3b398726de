"""
Production's server against its alternatives (gunicorn, uvicorn, granian WSGI) under wrk, alone
(no peer); the yardstick is bench/run.py (side by side with the Node original).

    .venv/bin/pip install -r bench/requirements.txt   # the alternative servers, the profilers
    .venv/bin/python bench/servers.py                  # every server; or --servers granian-rsgi

For each server (bench/harness.py: production's server.py and its alternatives) it starts
the server on 127.0.0.1:$BENCH_PORT (default 8501) against a fresh SQLite database in a temporary
directory (or --database-url), signs up a user and a moderator, and runs wrk (2 threads,
50 connections; 5 s warm-up, then 15 s measured) against each endpoint below, recording req/s,
p50, p99, non-2xx responses, the server's peak total RSS, and the load average before the run
(the machine's 2 cores are shared: compare runs only at similar load). The generated part of
BENCHMARKS.md, between its `bench:` markers, is replaced; the text around it is kept.
"""

import argparse
import importlib.metadata
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, SERVERS, Server

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
THREADS, CONNECTIONS = 2, 50

LUA_POST = """wrk.method = "POST"
wrk.body = {body!r}
wrk.headers["Content-Type"] = "application/json"
"""


def scenarios(user, moderator, signer):
    """
    (label, path, headers, POST body or None). Sign-ins use a user of their own: each opens a
    session, and a user's oldest sessions may be retired, the refresh run's among them.
    """
    return [
        ("GET /api/test/all", "/api/test/all", {}, None),
        ("GET /api/test/user (x-access-token)", "/api/test/user",
         {"x-access-token": user["accessToken"]}, None),
        ("GET /api/test/user (Bearer)", "/api/test/user",
         {"Authorization": f"Bearer {user['accessToken']}"}, None),
        ("GET /api/test/mod", "/api/test/mod", {"x-access-token": moderator["accessToken"]}, None),
        ("POST /api/auth/signin", "/api/auth/signin", {},
         f'{{"username": "{signer["username"]}", "password": "{signer["password"]}"}}'),
        ("POST /api/auth/refreshtoken", "/api/auth/refreshtoken", {},
         f'{{"refreshToken": "{user["refreshToken"]}"}}'),
    ]


def to_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url, seconds, headers, body, workdir, connections=CONNECTIONS):
    # A 10 s timeout (wrk's default is 2 s), so slow sign-ins count in the percentiles instead of
    # vanishing into "timeout" errors.
    command = ["wrk", "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if body is not None:
        script = Path(workdir) / "post.lua"
        script.write_text(LUA_POST.format(body=body))
        command += ["-s", str(script)]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)$", output, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": to_ms(latency["50"]),
        "p99": to_ms(latency["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


TICKS = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    """CPU time spent by the whole machine so far (all but idle and iowait), in clock ticks."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def process_group_ticks(pgid):
    """CPU time (user + system) of the live processes in a process group, in clock ticks."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total


class CPUShare:
    """Cores used during a run by the server, by wrk (this process's children), and by the rest."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.start = (time.monotonic(), busy_ticks(), process_group_ticks(self.server.process.pid),
                      resource.getrusage(resource.RUSAGE_CHILDREN))
        return self

    def __exit__(self, *exc):
        wall0, busy0, server0, children0 = self.start
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = time.monotonic() - wall0
        self.server_cores = (process_group_ticks(self.server.process.pid) - server0) / TICKS / seconds
        self.wrk_cores = (
            children.ru_utime + children.ru_stime - children0.ru_utime - children0.ru_stime
        ) / seconds
        busy = (busy_ticks() - busy0) / TICKS / seconds
        self.other_cores = max(0.0, busy - self.server_cores - self.wrk_cores)


class PeakRSS(threading.Thread):
    """Samples the server's total RSS every half second while a run lasts."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.peak, self.done = server, 0, threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            self.peak = max(self.peak, self.server.rss_kib())

    def __exit__(self, *exc):
        self.done.set()
        self.join()

    def __enter__(self):
        self.start()
        return self


def bench_server(name, port, database_url, warmup, duration, only=None):
    rows = []
    with Server(port, name, database_url=database_url) as server, tempfile.TemporaryDirectory() as tmp:
        user = server.user("bench_user")
        moderator = server.user("bench_mod", roles=("user", "moderator"))
        signer = server.user("bench_signin")
        for label, path, headers, body in scenarios(user, moderator, signer):
            if only and not any(word in label for word in only):
                continue
            url = server.base + path
            wrk(url, warmup, headers, body, tmp)
            load = load_average()
            with PeakRSS(server) as rss, CPUShare(server) as cpu:
                result = wrk(url, duration, headers, body, tmp)
            result.update(
                server=name, label=label, load=load, rss_mib=rss.peak / 1024,
                cpu=f"{cpu.server_cores:.2f} / {cpu.wrk_cores:.2f} / {cpu.other_cores:.2f}",
            )
            print(
                f"{name:17} {label:38} {result['rps']:8.0f} req/s  p50 {result['p50']:7.1f} ms  "
                f"p99 {result['p99']:7.1f} ms  non-2xx {result['non_2xx']}  "
                f"RSS {result['rss_mib']:.0f} MiB  load {load}  cores {result['cpu']}",
                flush=True,
            )
            rows.append(result)
    return rows


def versions():
    names = ["Django", "djangorestframework", "djangorestframework_simplejwt", "argon2-cffi",
             "gunicorn", "granian", "uvicorn"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return [f"Python {platform.python_version()}", *found, wrk_version.strip()]


def machine():
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} × {cpu}, {memory} GiB RAM, Linux {platform.release()}"


def command_line(command):
    program, *args = command
    return " ".join([Path(program).name, *map(str, args)])


def report(rows, database, started, finished, warmup, duration):
    lines = [
        BEGIN,
        f"Generated by `bench/servers.py` on {started:%Y-%m-%d %H:%M} to {finished:%H:%M} UTC.",
        "",
        f"- Machine: {machine()}; wrk runs on the same 2 cores as the server.",
        f"- Versions: {', '.join(versions())}.",
        f"- Database: {database}. Password hasher: Argon2id, 19 MiB, t=2, p=1 "
        "(accounts/hashers.py, OWASP minimum).",
        f"- wrk: {THREADS} threads, {CONNECTIONS} connections, {warmup} s warm-up then "
        f"{duration} s measured, per row. `cores`: CPU used during the measured run by the server "
        "/ by wrk / by everything else on the machine (other people's work: the noise). `load`: "
        "the 1/5/15-minute load average just before it (it counts the benchmark's own server "
        "workers and wrk threads from the previous rows too).",
        "- Servers: " + "; ".join(
            f"`{name}`: `{command_line(SERVERS[name]('127.0.0.1:PORT'))}`"
            for name in dict.fromkeys(row["server"] for row in rows)
        ) + ".",
        "",
        "| server | request | req/s | p50 ms | p99 ms | non-2xx | RSS MiB | cores | load |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['server']} | {row['label']} | {row['rps']:.0f} | {row['p50']:.1f} | "
            f"{row['p99']:.1f} | {row['non_2xx']}{' (' + row['socket_errors'] + ')' if row['socket_errors'] else ''} "
            f"| {row['rss_mib']:.0f} | {row['cpu']} | {row['load']} |"
        )
    lines.append(END)
    return "\n".join(lines)


def write(path, generated):
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    path.write_text(before + generated + after)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated, of: " + ", ".join(SERVERS))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8501")))
    parser.add_argument("--database-url", help="default: a fresh SQLite file per server")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--only", help="comma-separated words: run the requests whose label has one")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    started = datetime.now(timezone.utc)
    rows = []
    for name in args.servers.split(","):
        rows += bench_server(
            name, args.port, args.database_url, args.warmup, args.duration,
            args.only.split(",") if args.only else None,
        )
    database = "the given DATABASE_URL" if args.database_url else "SQLite, a fresh file per server"
    generated = report(rows, database, started, datetime.now(timezone.utc), args.warmup, args.duration)
    if args.no_write:
        print(generated)
    else:
        write(args.output, generated)
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
