"""
What a process imports before it serves the tutorial's API, and what only on first use
(BENCHMARKS.md, "Memory"): the features beyond the tutorial's API are included in the URLconf by
``include_on_first_use`` (authsite/urls.py), py_webauthn is imported by the first passkey
ceremony, segno by the first TOTP set-up, redis by Django's Redis cache when it first connects.
"""

import json
import subprocess
import sys

from tests.servers import ROOT, clean_environ

PROBE = """
import json, sys
import django
django.setup()
from django.urls import get_resolver, resolve
get_resolver().url_patterns  # what server.py's preload imports
for path in ("/api/test/all", "/api/test/user", "/api/auth/signin", "/api/auth/signup", "/healthz"):
    resolve(path)
watched = ("oidc.views", "authlib", "mfa.views", "passkeys.views", "webauthn", "recovery.views", "segno", "redis")
before = [name for name in watched if name in sys.modules]
first_use = {}
for path, modules in (
    ("/api/auth/oidc/google/login", ("oidc.views", "authlib")),
    ("/api/auth/passkeys/signin/begin", ("passkeys.views", "webauthn")),
    ("/account/two-factor/", ("mfa.views",)),
):
    resolve(path)
    first_use[path] = [name for name in modules if name in sys.modules]
print(json.dumps({"before": before, "first_use": first_use}))
"""


def test_the_features_beyond_the_api_are_imported_on_first_use(tmp_path):
    env = clean_environ(
        DJANGO_SETTINGS_MODULE="authsite.settings", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["before"] == []
    assert seen["first_use"] == {
        "/api/auth/oidc/google/login": ["oidc.views", "authlib"],
        "/api/auth/passkeys/signin/begin": ["passkeys.views", "webauthn"],
        "/account/two-factor/": ["mfa.views"],
    }


def test_urls_included_on_first_use_serve_through_the_production_server(production_server):
    server = production_server()
    json_body = {"Content-Type": "application/json"}
    status, _, body = server.request("POST", "/api/auth/passkeys/signin/begin", b"{}", json_body)
    assert status == 200 and json.loads(body)["challenge"]
    status, _, body = server.request("GET", "/api/auth/identities")
    assert status == 403 and "message" in json.loads(body)  # the contract's "No token provided!"
    status, headers, _ = server.request("GET", "/api/docs")
    assert status == 200 and headers["content-type"].startswith("text/html")
