"""
Schema fuzzing: serve authsite (production server, fresh database) on 127.0.0.1:$FUZZ_PORT
(default 8500), sign a user with every role in, and run schemathesis against /api/schema for
$FUZZ_SECONDS (default 100) in all, half with the token in `x-access-token`, half as
`Authorization: Bearer`. Fails on any 5xx or any response the schema does not describe
(status, content type, headers, body). The server is always stopped.

Usage: .venv/bin/python .ci/fuzz.py  (schemathesis from .venv-fuzz, see .ci/run)
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import ROOT, Server  # noqa: E402

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


def main():
    with Server(PORT, log=sys.stderr) as server, tempfile.TemporaryDirectory() as directory:
        token = server.user("fuzzer", roles=("user", "moderator", "admin"))["accessToken"]
        failed = False
        for scheme in SCHEMES:
            print(f"== schemathesis, token via {scheme}", flush=True)
            result = subprocess.run(
                [
                    SCHEMATHESIS, "--config-file", config_file(directory, scheme, token),
                    "run", f"{server.base}/api/schema?format=json",
                    "--url", server.base, "--checks", CHECKS,
                    "--max-time", str(SECONDS // 2), "--workers", "2",
                    "--phases", "examples,coverage,fuzzing",
                    "--suppress-health-check", "too_slow", "--seed", "5",
                ],
                cwd=ROOT,
            )
            failed |= result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
