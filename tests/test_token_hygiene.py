"""
Token hygiene: iss/aud verified, token types never interchangeable, exp required, no leeway to
speak of, key-locating headers (jku, x5u, jwk, kid) never followed, Cache-Control: no-store on
responses that carry tokens, security events logged without secrets.
"""

import base64
import http.server
import json
import logging
import threading
import time

import jwt
import pytest
from django.conf import settings

from tests.conftest import PASSWORD

UNAUTHORIZED = {"message": "Unauthorized!"}
SIGNING_KEY = settings.SIMPLE_JWT["SIGNING_KEY"]


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def forge(payload, key=SIGNING_KEY, algorithm="HS256", headers=None):
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def get_user_board(api, token):
    return api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=token)


def test_a_valid_reforged_token_passes(api, claims):
    # The baseline for the tests below: re-signing the same claims with the right key is fine.
    assert get_user_board(api, forge(claims)).status_code == 200


def test_access_tokens_name_the_issuer(claims):
    assert claims["iss"] == "authsite"


MISSING = object()


def set_claim(claims, name, value):
    if value is MISSING:
        del claims[name]
    else:
        claims[name] = value


@pytest.mark.parametrize(
    "name, value",
    [
        ("iss", MISSING),
        ("iss", "someone-else"),
        ("iss", ""),
        ("exp", MISSING),
        ("token_type", "refresh"),
        ("token_type", MISSING),
        ("token_type", "ACCESS"),
    ],
)
def test_a_missing_or_wrong_issuer_expiry_or_token_type_is_refused(api, claims, name, value):
    set_claim(claims, name, value)
    response = get_user_board(api, forge(claims))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


@pytest.fixture
def audience(settings):
    """JWT_AUDIENCE=authsite-api."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "AUDIENCE": "authsite-api"}
    return "authsite-api"


def test_with_an_audience_configured_tokens_carry_it(api, alice, token_for, audience):
    token = token_for(alice)
    assert claims_of(token)["aud"] == audience
    assert get_user_board(api, token).status_code == 200


@pytest.mark.parametrize("aud", [MISSING, "another-api", ["another-api"]])
def test_with_an_audience_configured_a_missing_or_foreign_one_is_refused(api, claims, audience, aud):
    claims.pop("aud", None)
    if aud is not MISSING:
        claims["aud"] = aud
    response = get_user_board(api, forge(claims))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_token_expired_two_seconds_ago_is_refused(api, claims):
    claims["exp"] = int(time.time()) - 2
    response = get_user_board(api, forge(claims))
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized! Access Token was expired!"})


def test_a_refresh_token_is_not_an_access_token(api, alice, signin):
    tokens = signin(alice)
    for headers in ({"HTTP_X_ACCESS_TOKEN": tokens["refreshToken"]},
                    {"HTTP_AUTHORIZATION": f"Bearer {tokens['refreshToken']}"}):
        response = api.get("/api/test/user", **headers)
        assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_an_access_token_is_not_a_refresh_token(api, alice, signin):
    tokens = signin(alice)
    response = api.post("/api/auth/refreshtoken", {"refreshToken": tokens["accessToken"]}, format="json")
    assert (response.status_code, response.json()) == (403, {"message": "Refresh token is not in database!"})


ATTACKER_KEY = "attacker-key-" * 4  # what the key server and the embedded jwk hand out
ATTACKER_JWK = {"kty": "oct", "kid": "evil", "k": base64.urlsafe_b64encode(ATTACKER_KEY.encode()).rstrip(b"=").decode()}


@pytest.fixture
def key_server():
    """A local HTTP server that would hand out an attacker's keys; it counts requests."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"keys": [ATTACKER_JWK]}).encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()




@pytest.mark.parametrize(
    "headers",
    [
        lambda url: {"jku": f"{url}/jwks.json", "kid": "evil"},
        lambda url: {"x5u": f"{url}/cert.pem"},
        lambda url: {"jwk": ATTACKER_JWK},
        lambda url: {"kid": "../../../../dev/null"},
        lambda url: {"kid": "' OR 1=1 --" + "x" * 10000},
    ],
    ids=["jku", "x5u", "jwk", "kid-path", "kid-injection"],
)
def test_key_locating_headers_are_never_followed(api, claims, key_server, headers):
    url, hits = key_server
    response = get_user_board(api, forge(claims, key=ATTACKER_KEY, headers=headers(url)))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    # Signed with the real key, the same headers change nothing either: the key is the configured one.
    assert get_user_board(api, forge(claims, headers=headers(url))).status_code == 200
    assert hits == []


def test_responses_carrying_tokens_are_not_stored(api, alice, signin):
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    assert "no-store" in response["Cache-Control"]
    refresh = api.post(
        "/api/auth/refreshtoken", {"refreshToken": response.json()["refreshToken"]}, format="json"
    )
    assert refresh.status_code == 200
    assert "no-store" in refresh["Cache-Control"]


def test_security_events_are_logged_without_tokens_or_passwords(api, alice, signin, caplog):
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        failed = api.post("/api/auth/signin", {"username": "alice", "password": "guess-Xyz-123"}, format="json")
        assert failed.status_code == 401
        tokens = signin(alice)
        api.post("/api/auth/signout", {"refreshToken": tokens["refreshToken"]}, format="json")
    records = [r for r in caplog.records if r.name == "authsite.security"]
    events = [r.getMessage() for r in records]
    assert any('"event": "signin_failed"' in e and '"username": "alice"' in e for e in events)
    assert any('"event": "session_revoked"' in e for e in events)
    for secret in ("guess-Xyz-123", PASSWORD, tokens["refreshToken"], tokens["accessToken"]):
        assert not any(secret in e for e in events)


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_the_configured_algorithm_signs_and_is_the_only_one_accepted(api, alice, token_for, settings, algorithm):
    """JWT_ALGORITHM both signs the tokens and pins verification: the other HMAC one is refused."""
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ALGORITHM": algorithm}
    token = token_for(alice)
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    assert get_user_board(api, token).status_code == 200
    other = "HS512" if algorithm == "HS256" else "HS256"
    response = get_user_board(api, forge(claims_of(token), algorithm=other))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
