"""
A real OpenID Provider for the OIDC tests: ``tests/oidcprovider/provider.mjs`` (panva's
oidc-provider from npm, ``npm ci --prefix tests/oidcprovider``) run with node.

    with OpenIDProvider(redirect_uris=[...]) as op:
        callback_url = op.sign_in(authorization_url, "alice")   # drives its dev login + consent
        op.set_account("bob", email="bob@example.com", email_verified=False)
        token = op.mint_id_token({...})                         # signed with the provider's key

``Interposer`` sits in front of the provider's token endpoint and rewrites the ID token of real
token responses (for what the provider would never mint: wrong audience, expired, ``alg: none``,
another nonce).
"""

import base64
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import requests

from tests.servers import ProductionServer, free_port

DIRECTORY = Path(__file__).resolve().parent / "oidcprovider"
CLIENT_ID = "authsite-test"
CLIENT_SECRET = "authsite-test-secret-of-at-least-32-bytes"

# The in-process tests (Django's test client, fixtures ``op`` and ``corp`` in conftest.py).
SITE = "http://testserver"
CALLBACK = SITE + "/api/auth/oidc/corp/callback"
SPA = "http://localhost:19281"
NEXT = SPA + "/signed-in"


def login(api, next_url=NEXT, **params):
    response = api.get("/api/auth/oidc/corp/login", {"next": next_url, **params})
    assert response.status_code == 302, response.content
    return response["Location"]


def callback(api, url):
    assert url.startswith(CALLBACK), url
    return api.get(url.removeprefix(SITE))


def result(response):
    """The fragment ``next`` received, as a dict (and check it went to next)."""
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == NEXT
    return {key: values[0] for key, values in parse_qs(location.fragment).items()}


def sign_in(api, op, name="alice"):
    return result(callback(api, op.sign_in(login(api), name)))


def redeem(api, code):
    return api.post("/api/auth/oidc/token", {"code": code}, format="json")


@contextmanager
def production_site(host, allowed_origin=SPA):
    """
    The production server (server.py) with provider ``corp`` on a real ``OpenIDProvider``, the
    browser app at ``allowed_origin`` allowed; yields ``(site URL, op)``. ``host`` is how the
    clients name the site (a browser needs ``localhost`` for its cookies).
    """
    server = ProductionServer()
    site = f"http://{host}:{server.port}"
    with OpenIDProvider([f"{site}/api/auth/oidc/corp/callback"]) as op:
        server.env.update(
            SITE_URL=site, OIDC_PROVIDERS="corp", OIDC_CORP_ISSUER=op.issuer, OIDC_CORP_CLIENT_ID=CLIENT_ID,
            OIDC_CORP_CLIENT_SECRET=CLIENT_SECRET, CORS_ALLOWED_ORIGINS=allowed_origin,
        )
        with server:
            yield site, op


class OpenIDProvider:
    def __init__(self, redirect_uris, client_secret=CLIENT_SECRET, timeout=30):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.tmp = Path(tempfile.mkdtemp(prefix="authsite-op-"))
        self.accounts_path = self.tmp / "accounts.json"
        self.accounts_path.write_text("{}")
        client = {"client_id": CLIENT_ID, "redirect_uris": list(redirect_uris)}
        if client_secret:
            client["client_secret"] = client_secret
        self.env = {
            **os.environ, "OP_PORT": str(self.port), "OP_CLIENTS": json.dumps([client]),
            "OP_KEYS_OUT": str(self.tmp / "keys.json"), "OP_ACCOUNTS": str(self.accounts_path),
        }
        self.timeout = timeout
        self.process = None
        self.accounts = {}

    def __enter__(self):
        if not (DIRECTORY / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError("oidc-provider is not installed: npm ci --prefix tests/oidcprovider")
        self.log = open(self.tmp / "provider.log", "wb")
        self.process = subprocess.Popen(
            ["node", "provider.mjs"], cwd=DIRECTORY, env=self.env, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while b"ready" not in (self.tmp / "provider.log").read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the OpenID Provider did not start:\n" + (self.tmp / "provider.log").read_text())
            time.sleep(0.05)
        self.signing_key = json.loads((self.tmp / "keys.json").read_text())["key"]
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()

    def set_account(self, login, **claims):
        """What the provider says about ``login`` at its next sign-in (email, email_verified)."""
        self.accounts[login] = claims
        self.accounts_path.write_text(json.dumps(self.accounts))

    def sign_in(self, authorization_url, login, consent=True):
        """
        Sign in as ``login`` on the provider's development pages (login form, consent form, or
        the consent page's abort link) and return the URL it redirects back to (not followed).
        """
        session = requests.Session()
        response = session.get(authorization_url, timeout=10)
        response = session.post(response.url, data={"prompt": "login", "login": login, "password": "x"}, timeout=10)
        if consent:
            response = session.post(response.url, data={"prompt": "consent"}, allow_redirects=False, timeout=10)
        else:
            abort = re.search(r'href="([^"]*/abort)"', response.text).group(1)
            response = session.get(abort, allow_redirects=False, timeout=10)
        while response.headers["location"].startswith(self.issuer):
            response = session.get(response.headers["location"], allow_redirects=False, timeout=10)
        return response.headers["location"]

    def mint_id_token(self, claims, alg="RS256"):
        if alg == "none":
            return jwt.encode(claims, None, algorithm="none", headers={"kid": self.signing_key["kid"]})
        key = jwt.PyJWK(self.signing_key).key
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": self.signing_key["kid"]})


def unverified_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Interposer:
    """
    An HTTP server in front of ``provider``'s token endpoint: forwards each token request to the
    real endpoint, then replaces the response's ID token with ``rewrite(claims) -> token``.
    """

    def __init__(self, provider):
        self.provider = provider
        self.rewrite = None
        interposer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                forwarded = urllib.request.Request(
                    provider.issuer + "/token", data=body, method="POST",
                    headers={k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")},
                )
                with urllib.request.urlopen(forwarded, timeout=10) as upstream:
                    answer = json.loads(upstream.read())
                answer["id_token"] = interposer.rewrite(unverified_claims(answer["id_token"]))
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
