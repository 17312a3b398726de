"""
Header names with underscores, through the production server (server.py) with raw requests.

``X_Goog_Iap_Jwt_Assertion`` and ``X-Goog-Iap-Jwt-Assertion`` become the same CGI key
(``HTTP_X_GOOG_IAP_JWT_ASSERTION``); so do ``X_Forwarded_For`` and ``X-Forwarded-For``. The
server must not let the underscore spelling, which a proxy does not strip, stand in for the dashed
header the proxy sets (authsite.asgi drops every underscored name).
"""

import json
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from accounts import keys
from proxyauth import profiles
from tests.servers import http_request, raw_request

AUDIENCE = "/projects/1234567890/global/backendServices/987654321"
KEY = ec.generate_private_key(ec.SECP256R1())
KID = "server-headers"


def assertion(email):
    now = int(time.time())
    claims = {"iss": profiles.IAP_ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
              "sub": f"accounts.google.com:{email}", "email": email}
    return jwt.encode(claims, KEY, algorithm="ES256", headers={"kid": KID})


@pytest.fixture(scope="module")
def server(production_server, tmp_path_factory):
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**keys.public_jwk(KEY.public_key(), "ES256"), "kid": KID}]}))
    return production_server({
        "PROXY_AUTH": "iap",
        "PROXY_AUTH_AUDIENCE": AUDIENCE,
        "PROXY_AUTH_JWKS_URL": jwks.as_uri(),
        "TRUSTED_PROXY_COUNT": "1",
    })


def hello(server, *headers):
    request = http_request("GET", "/hello", [("Host", "127.0.0.1"), ("Accept", "application/json"), *headers])
    status, _, body = raw_request(server.port, request)
    return status, json.loads(body)


def test_the_dashed_assertion_header_signs_in(server):
    status, body = hello(server, ("X-Goog-Iap-Jwt-Assertion", assertion("alice@example.com")))
    assert status == 200, body
    assert "alice@example.com" in json.dumps(body)


def test_the_underscore_spelling_alone_is_not_an_assertion(server):
    anonymous = hello(server)
    assert anonymous[0] != 200
    assert hello(server, ("X_Goog_Iap_Jwt_Assertion", assertion("alice@example.com"))) == anonymous


@pytest.mark.parametrize("order", ["dashed first", "underscore first"])
def test_the_underscore_spelling_never_replaces_the_proxys_header(server, order):
    dashed = ("X-Goog-Iap-Jwt-Assertion", assertion("alice@example.com"))
    forged = ("X_Goog_Iap_Jwt_Assertion", assertion("mallory@example.com"))
    status, body = hello(server, *([dashed, forged] if order == "dashed first" else [forged, dashed]))
    assert status == 200, body
    assert "alice@example.com" in json.dumps(body)
    assert "mallory" not in json.dumps(body)


@pytest.mark.parametrize("order", ["dashed first", "underscore first"])
def test_x_forwarded_for_with_underscores_never_replaces_the_proxys(server, order):
    """Behind one proxy the client is X-Forwarded-For's last entry (the security log shows it)."""
    dashed = ("X-Forwarded-For", "203.0.113.7")
    forged = ("X_Forwarded_For", "198.51.100.9")
    username = f"nobody-{order[0]}"
    body = json.dumps({"username": username, "password": "wrong password 1"}).encode()
    headers = [("Host", "127.0.0.1"), ("Content-Type", "application/json"),
               *([dashed, forged] if order == "dashed first" else [forged, dashed])]
    status, _, _ = raw_request(server.port, http_request("POST", "/api/auth/signin", headers, body))
    assert status == 401
    events = [json.loads(line) for line in re.findall(r"(\{\"event\": \"signin_failed\".*\})", server.log())]
    (event,) = [event for event in events if event.get("username") == username]
    assert event["ip"] == "203.0.113.7"
