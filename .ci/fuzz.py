"""
Schema fuzzing: serve authsite (production server, fresh database) on 127.0.0.1:$FUZZ_PORT
(default 8500), sign a user with every role in, and run schemathesis against /api/schema for
$FUZZ_SECONDS (default 100) in all: 40% with the token in `x-access-token`, 40% as
`Authorization: Bearer`, then 20% on the operations that end a session, with a user of their own.
Fails on any 5xx or any response the schema does not describe
(status, content type, headers, body). The server is always stopped.

Usage: .venv/bin/python .ci/fuzz.py  (schemathesis from .venv-fuzz, see .ci/run)
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, Server

SCHEMATHESIS = os.environ.get("SCHEMATHESIS", str(ROOT / ".venv-fuzz/bin/schemathesis"))
PORT = int(os.environ.get("FUZZ_PORT", "8500"))
SECONDS = int(os.environ.get("FUZZ_SECONDS", "100"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


# One run per documented security scheme, the token supplied through that scheme only.
SCHEMES = {"accessToken": "api_key", "bearerAuth": "bearer"}


def config_file(directory, scheme, token):
    path = Path(directory) / f"{scheme}.toml"
    path.write_text(
        f'[auth]\nauto-signup = false\n\n[auth.openapi.{scheme}]\n{SCHEMES[scheme]} = "{token}"\n'
    )
    return str(path)


# Operations that end the caller's session (signout, a password change, revoking a session by
# its guessable id): fuzzed last, with a user of their own, so the others keep a live token.
SESSION_ENDING = ["POST /api/auth/signout", "POST /api/auth/password", "DELETE /api/auth/sessions/{session_id}"]


def schemathesis(server, config, seconds, *selection):
    result = subprocess.run(
        [
            SCHEMATHESIS, "--config-file", config,
            "run", f"{server.base}/api/schema?format=json",
            "--url", server.base, "--checks", CHECKS,
            "--max-time", str(seconds), "--workers", "2",
            "--phases", "examples,coverage,fuzzing",
            "--suppress-health-check", "too_slow", "--seed", "5",
            "--request-timeout", "10",
            *selection,
        ],
        cwd=ROOT,
        timeout=seconds + 120,  # a stuck run fails CI instead of hanging it
    )
    return result.returncode == 0


def main():
    # The server's log (thousands of failed sign-ins in the security log) goes to a file, shown
    # only if something failed.
    with tempfile.TemporaryDirectory() as directory, open(Path(directory) / "server.log", "w+") as log:
        passed = fuzz(directory, log)
        if not passed:
            log.seek(0)
            print("== server log (errors)", *[line for line in log if "ERROR" in line], sep="\n")
    return 0 if passed else 1


def fuzz(directory, log):
    with Server(PORT, log=log) as server:
        token = server.user("fuzzer", roles=("user", "moderator", "admin"))["accessToken"]
        passed = True
        for scheme in SCHEMES:
            print(f"== schemathesis, token via {scheme}", flush=True)
            config = config_file(directory, scheme, token)
            exclude = [arg for name in SESSION_ENDING for arg in ("--exclude-name", name)]
            passed &= schemathesis(server, config, SECONDS * 2 // 5, *exclude)
        print("== schemathesis, the session-ending operations", flush=True)
        token = server.user("fuzzer_ending", roles=("user",))["accessToken"]
        config = config_file(directory, "accessToken", token)
        include = [arg for name in SESSION_ENDING for arg in ("--include-name", name)]
        passed &= schemathesis(server, config, SECONDS // 5, *include)
    return passed


if __name__ == "__main__":
    sys.exit(main())
