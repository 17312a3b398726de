"""
Helpers for the identity-aware-proxy tests: keys, assertions, a local JWKS server, a client call.
The fixtures built on them (``key_server``, ``proxy_on``) are in conftest.py.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from rest_framework.test import APIClient

from accounts import keys
from proxyauth import profiles

AUD = "/projects/1234567890/global/backendServices/987654321"
KID = "test-kid"
ALICE_SUB = "accounts.google.com:1000"
HEADER = "HTTP_X_GOOG_IAP_JWT_ASSERTION"
UNAUTHORIZED = {"message": "Unauthorized!"}
NO_TOKEN = {"message": "No token provided!"}

IAP_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_P256 = ec.generate_private_key(ec.SECP256R1())
ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_P384 = ec.generate_private_key(ec.SECP384R1())
ATTACKER_P521 = ec.generate_private_key(ec.SECP521R1())
CF_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_of(private_key, kid, algorithm):
    return {**keys.public_jwk(private_key.public_key(), algorithm), "kid": kid}


def jwks(*entries):
    return {"keys": [jwk_of(key, kid, alg) for key, kid, alg in entries]}


IAP_JWKS = jwks((IAP_KEY, KID, "ES256"))


def claims(**over):
    now = int(time.time())
    base = {"iss": profiles.IAP_ISSUER, "aud": AUD, "iat": now, "exp": now + 600,
            "sub": ALICE_SUB, "email": "alice@example.com"}
    return {k: v for k, v in {**base, **over}.items() if v is not None}


def sign(payload=None, key=IAP_KEY, alg="ES256", **headers):
    headers = {"kid": KID, **headers}
    headers = {k: v for k, v in headers.items() if v is not None}
    return jwt.encode(claims() if payload is None else payload, key, algorithm=alg, headers=headers)


def raw_token(header, payload, signature=b""):
    """A compact JWS assembled by hand (for what PyJWT refuses to produce)."""
    return ".".join([b64u(json.dumps(header).encode()), b64u(json.dumps(payload).encode()), b64u(signature)])


def hs256_with_public_pem():
    pem = keys.public_pem(IAP_KEY).encode()
    header, payload = {"alg": "HS256", "typ": "JWT", "kid": KID}, claims()
    signing_input = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u(signature)}"


def tampered():
    header, _, signature = sign().split(".")
    forged = b64u(json.dumps(claims(email="admin@example.com", sub="accounts.google.com:1")).encode())
    return f"{header}.{forged}.{signature}"


class KeyServer:
    """A JWKS endpoint on 127.0.0.1: ``responses[path] = (status, body bytes, delay s)``."""

    def __init__(self):
        self.responses = {"/jwks": (200, json.dumps(IAP_JWKS).encode(), 0)}
        self.hits = Counter()
        self.drip_bytes, self.drip_seconds = 0, 0  # send bodies this many bytes at a time
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] += 1
                status, body, delay = server.responses.get(self.path, (404, b"{}", 0))
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status in (301, 302):
                    self.send_header("Location", server.url("/jwks"))
                self.end_headers()
                for start in range(0, len(body), server.drip_bytes or len(body) or 1):
                    self.wfile.write(body[start:start + (server.drip_bytes or len(body))])
                    self.wfile.flush()
                    time.sleep(server.drip_seconds)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, address: None  # a client that gave up waiting
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, document, path="/jwks", status=200, delay=0):
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.responses[path] = (status, body, delay)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def iap_profile(url, **over):
    return profiles.resolve("iap", audience=AUD, jwks_url=url, **over)


def hello(token=None, path="/hello", **headers):
    client = APIClient()
    if token is not None:
        headers[HEADER] = token
    return client.get(path, HTTP_ACCEPT="application/json", **headers)


def assert_unauthorized(response):
    assert response.status_code == 401, response.content
    assert response.json() == UNAUTHORIZED


def now():
    return int(time.time())
