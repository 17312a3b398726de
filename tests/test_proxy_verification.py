"""
Sign-in through an identity-aware proxy (proxyauth): the verification matrix I1-I25 of
notes/proxy-auth.md against ``GET /hello``, and the key set's fetching rules.

Keys are generated per test session and served by a local HTTP server on 127.0.0.1 (port 0),
which also counts the requests it sees (``key_server`` in conftest.py).
"""

import json
import socket
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from proxyauth import keysets
from tests.proxy import (
    ATTACKER_P384,
    ATTACKER_P521,
    ATTACKER_RSA,
    AUD,
    HEADER,
    IAP_JWKS,
    IAP_KEY,
    KID,
    NO_TOKEN,
    OTHER_P256,
    assert_unauthorized,
    b64u,
    claims,
    hello,
    hs256_with_public_pem,
    iap_profile,
    jwk_of,
    jwks,
    now,
    raw_token,
    sign,
    tampered,
)


@pytest.fixture
def clock(monkeypatch):
    """Control the key sets' clock: ``clock.advance(seconds)``."""

    class Clock:
        now = 1000.0

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(keysets.RemoteKeySet, "clock", staticmethod(lambda: fake.now))
    return fake


# --- The verification matrix --------------------------------------------------------------------

ACCEPTED = [
    ("I1 valid", lambda: sign()),
    ("I3 exp 20 s ago, inside the leeway", lambda: sign(claims(iat=now() - 600, exp=now() - 20))),
    ("I4 iat 20 s ahead, inside the leeway", lambda: sign(claims(iat=now() + 20, exp=now() + 620))),
    ("lifetime exactly 660 s", lambda: sign(claims(iat=now() - 60, exp=now() + 600))),
    ("extra claims azp, identity_source, hd, google", lambda: sign(claims(
        azp=AUD, identity_source="GOOGLE", hd="example.com", google={"access_levels": []}))),
    ("I14 jku/x5u headers are ignored, not fetched", lambda: sign(jku="http://127.0.0.1:9/x", x5u="http://127.0.0.1:9/y")),
]

REJECTED = [
    ("I2 exp 60 s ago", lambda: sign(claims(exp=now() - 60, iat=now() - 600))),
    ("I3 exp 40 s ago", lambda: sign(claims(exp=now() - 40, iat=now() - 600))),
    ("I4 iat 40 s ahead", lambda: sign(claims(iat=now() + 40, exp=now() + 600))),
    ("I5 lifetime 3600 s", lambda: sign(claims(exp=now() + 3600))),
    ("lifetime 661 s", lambda: sign(claims(iat=now() - 61, exp=now() + 600))),
    ("exp missing", lambda: sign(claims(exp=None))),
    ("iat missing", lambda: sign(claims(iat=None))),
    ("exp as a string", lambda: sign(claims(exp=str(now() + 600)))),
    ("I6 aud of another backend service", lambda: sign(claims(aud="/projects/1234567890/global/backendServices/1"))),
    ("I6 aud as a list", lambda: sign(claims(aud=[AUD]))),
    ("I6 aud missing", lambda: sign(claims(aud=None))),
    ("I7 iss accounts.google.com", lambda: sign(claims(iss="https://accounts.google.com"))),
    ("I7 iss missing", lambda: sign(claims(iss=None))),
    ("sub missing", lambda: sign(claims(sub=None))),
    ("email missing", lambda: sign(claims(email=None))),
    ("email empty", lambda: sign(claims(email=""))),
    ("sub of 256 characters", lambda: sign(claims(sub="s" * 256))),
    ("sub only spaces", lambda: sign(claims(sub="   "))),
    ("email of 255 characters", lambda: sign(claims(email="e" * 243 + "@example.com"))),
    ("email not a string", lambda: sign(claims(email=["alice@example.com"]))),
    ("I8 alg none", lambda: raw_token({"alg": "none", "kid": KID}, claims())),
    ("I8 alg None", lambda: raw_token({"alg": "None", "kid": KID}, claims())),
    ("I8 alg NONE", lambda: raw_token({"alg": "NONE", "kid": KID}, claims())),
    ("I8 empty signature", lambda: sign().rsplit(".", 1)[0] + "."),
    ("I8 alg none with a signature", lambda: raw_token({"alg": "none", "kid": KID}, claims(), b"x")),
    ("I9 HS256 keyed with the public PEM", hs256_with_public_pem),
    ("I10 RS256 attacker key", lambda: sign(key=ATTACKER_RSA, alg="RS256")),
    ("I10 ES384 attacker key", lambda: sign(key=ATTACKER_P384, alg="ES384")),
    ("I10 ES512 attacker key", lambda: sign(key=ATTACKER_P521, alg="ES512")),
    ("alg ES256 in lower case", lambda: raw_token({"alg": "es256", "kid": KID}, claims(), b"x" * 64)),
    ("I11 payload edited after signing", tampered),
    ("I12 right kid, other key", lambda: sign(key=OTHER_P256)),
    ("I13 unknown kid", lambda: sign(kid="unknown-kid")),
    ("I13 kid ../../dev/null", lambda: sign(kid="../../dev/null")),
    ("I13 kid ' OR 1=1--", lambda: sign(kid="' OR 1=1--")),
    ("I13 kid of 10 000 characters", lambda: sign(kid="k" * 10_000)),
    ("kid missing", lambda: sign(kid=None)),
    ("kid not a string", lambda: raw_token({"alg": "ES256", "kid": [KID]}, claims(), b"x" * 64)),
    ("I14 embedded jwk of the attacker key", lambda: sign(
        key=OTHER_P256, jwk=jwk_of(OTHER_P256, KID, "ES256"))),
    ("I18 two header values joined by a comma", lambda: sign() + "," + sign()),
    ("I19 non-ASCII value", lambda: sign() + "é"),
    ("I19 1 MB value", lambda: "a" * 1_000_000),
    ("I19 two segments", lambda: ".".join(sign().split(".")[:2])),
    ("I19 bad base64 header", lambda: "!!!." + sign().split(".", 1)[1]),
    ("I19 header segment not JSON", lambda: b64u(b"not json") + "." + sign().split(".", 1)[1]),
    ("empty value", lambda: ""),
    ("I20 a Google OAuth ID token (RS256, accounts.google.com)", lambda: sign(
        claims(iss="https://accounts.google.com", aud="client-id.apps.googleusercontent.com"),
        key=ATTACKER_RSA, alg="RS256")),
]


@pytest.mark.parametrize("make_token", [case[1] for case in ACCEPTED], ids=[case[0] for case in ACCEPTED])
def test_accepted_assertions_greet_the_verified_email(proxy_on, make_token):
    response = hello(make_token())
    assert response.status_code == 200, response.content
    assert response.json() == {"message": "Hello alice@example.com"}


@pytest.mark.parametrize("make_token", [case[1] for case in REJECTED], ids=[case[0] for case in REJECTED])
def test_rejected_assertions_are_401_and_create_no_user(proxy_on, make_token):
    response = hello(make_token())
    assert_unauthorized(response)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not User.objects.exists()


def test_i1_html_page_says_hello_with_the_email(proxy_on):
    response = APIClient().get("/hello", HTTP_ACCEPT="text/html", **{HEADER: sign()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Hello alice@example.com" in response.content


def test_i14_jku_and_x5u_listener_sees_no_request(proxy_on):
    attacker_jwks = jwks((OTHER_P256, KID, "ES256"))
    proxy_on.serve(attacker_jwks, path="/attacker")
    token = sign(key=OTHER_P256, jku=proxy_on.url("/attacker"), x5u=proxy_on.url("/attacker"))
    assert_unauthorized(hello(token))
    assert proxy_on.hits["/attacker"] == 0
    assert proxy_on.hits["/jwks"] == 1


def test_i13_hostile_kids_cause_at_most_one_refetch(proxy_on, clock):
    assert hello(sign()).status_code == 200
    assert proxy_on.hits["/jwks"] == 1
    for n in range(20):
        assert_unauthorized(hello(sign(kid=f"random-{n}")))
    assert proxy_on.hits["/jwks"] == 2
    clock.advance(61)
    assert_unauthorized(hello(sign(kid="random-after-a-minute")))
    assert proxy_on.hits["/jwks"] == 3


def test_keys_are_cached_and_refetched_when_the_cache_expires(proxy_on, clock):
    for _ in range(3):
        assert hello(sign()).status_code == 200
    assert proxy_on.hits["/jwks"] == 1
    clock.advance(3600)
    assert hello(sign()).status_code == 200
    assert proxy_on.hits["/jwks"] == 2


def test_i15_forged_plain_headers_without_assertion_are_not_an_identity(proxy_on):
    response = hello(
        HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL="accounts.google.com:admin@example.com",
        HTTP_X_GOOG_AUTHENTICATED_USER_ID="accounts.google.com:1",
        HTTP_CF_ACCESS_AUTHENTICATED_USER_EMAIL="admin@example.com",
        HTTP_X_FORWARDED_EMAIL="admin@example.com",
        HTTP_X_FORWARDED_USER="admin",
    )
    assert response.status_code == 403
    assert response.json() == NO_TOKEN
    assert b"admin@example.com" not in response.content


def test_i16_plain_header_naming_bob_never_wins_over_the_assertion(proxy_on):
    response = hello(
        sign(),
        HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL="accounts.google.com:bob@example.com",
        HTTP_X_GOOG_AUTHENTICATED_USER_ID="accounts.google.com:2000",
    )
    assert response.json() == {"message": "Hello alice@example.com"}
    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.com"]


def test_i17_forged_script_email_is_never_reflected(proxy_on):
    response = APIClient().get(
        "/hello", HTTP_ACCEPT="text/html",
        HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL="accounts.google.com:<script>alert(1)</script>@x.com",
    )
    assert response.status_code == 403
    assert b"<script>" not in response.content


def test_i17_verified_script_email_is_escaped_in_the_page(proxy_on):
    email = "<script>alert(1)</script>@example.com"
    response = APIClient().get("/hello", HTTP_ACCEPT="text/html", **{HEADER: sign(claims(email=email))})
    assert response.status_code == 200
    assert b"<script>" not in response.content
    assert b"Hello &lt;script&gt;alert(1)&lt;/script&gt;@example.com" in response.content


def test_i20_own_access_token_in_the_assertion_header_is_refused(proxy_on, alice, token_for):
    assert_unauthorized(hello(token_for(alice)))


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_ACCESS_TOKEN"])
def test_i21_assertion_as_own_token_is_refused(proxy_on, header):
    token = sign()
    value = f"Bearer {token}" if header == "HTTP_AUTHORIZATION" else token
    assert_unauthorized(hello(**{header: value}))
    assert proxy_on.hits["/jwks"] == 0


def test_invalid_assertion_never_falls_back_to_a_valid_own_token(proxy_on, alice, token_for):
    response = hello(sign(key=OTHER_P256), HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")
    assert_unauthorized(response)


def test_valid_assertion_wins_over_an_own_token_for_someone_else(proxy_on, make_user, token_for):
    bob = make_user("bob")
    response = hello(sign(), HTTP_AUTHORIZATION=f"Bearer {token_for(bob)}")
    assert response.json() == {"message": "Hello alice@example.com"}


@pytest.mark.django_db
def test_i22_proxy_off_ignores_the_assertion_and_the_plain_headers(key_server):
    with override_settings(PROXY_AUTH_PROFILE=None):
        response = hello(sign(), HTTP_X_GOOG_AUTHENTICATED_USER_EMAIL="accounts.google.com:a@b.c")
    assert response.status_code == 403
    assert response.json() == NO_TOKEN
    assert key_server.hits["/jwks"] == 0


@pytest.mark.django_db
def test_i22_proxy_off_keeps_own_tokens_working(alice, token_for):
    with override_settings(PROXY_AUTH_PROFILE=None):
        response = hello(sign(), HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")
    assert response.json() == {"message": "Hello alice@example.com"}


def test_i23_rotated_key_set_is_fetched_once_then_accepted(proxy_on):
    assert hello(sign()).status_code == 200
    new_key = ec.generate_private_key(ec.SECP256R1())
    proxy_on.serve(jwks((IAP_KEY, KID, "ES256"), (new_key, "new-kid", "ES256")))
    for _ in range(3):
        assert hello(sign(key=new_key, kid="new-kid")).status_code == 200
    assert proxy_on.hits["/jwks"] == 2


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks"


BROKEN_ENDPOINTS = [
    ("500", lambda server: server.serve({"keys": []}, status=500)),
    ("not JSON", lambda server: server.serve(b"<html>oops</html>")),
    ("JSON but not a key set", lambda server: server.serve({"hello": "world"})),
    ("no usable keys", lambda server: server.serve({"keys": [{"kty": "nope", "kid": KID}]})),
    ("larger than the cap", lambda server: server.serve({"keys": [], "pad": "x" * 70_000})),
    ("a redirect", lambda server: server.serve(b"", status=302)),
]


@pytest.mark.parametrize("break_it", [c[1] for c in BROKEN_ENDPOINTS], ids=[c[0] for c in BROKEN_ENDPOINTS])
def test_i24_broken_key_endpoint_fails_closed(proxy_on, break_it):
    break_it(proxy_on)
    assert_unauthorized(hello(sign()))
    assert proxy_on.hits["/jwks"] == 1


@pytest.mark.django_db
def test_i24_unreachable_key_endpoint_fails_closed():
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(closed_port_url())):
        assert_unauthorized(hello(sign()))


def test_i24_slow_key_endpoint_fails_within_the_timeout(proxy_on):
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(proxy_on.url("/slow"), jwks_timeout=1)):
        proxy_on.serve(IAP_JWKS, path="/slow", delay=3)
        started = time.monotonic()
        assert_unauthorized(hello(sign()))
        assert time.monotonic() - started < 2.5


def test_i24_key_endpoint_dripping_bytes_fails_within_the_timeout(proxy_on):
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(proxy_on.url("/jwks"), jwks_timeout=1)):
        proxy_on.drip_bytes, proxy_on.drip_seconds = 20, 0.2  # ~4 s for the whole key set
        started = time.monotonic()
        assert_unauthorized(hello(sign()))
        assert time.monotonic() - started < 1.8


def test_loopback_key_url_is_never_fetched_through_a_proxy(proxy_on, monkeypatch):
    monkeypatch.setenv("http_proxy", closed_port_url().removesuffix("/jwks"))
    monkeypatch.setenv("no_proxy", "")
    assert hello(sign()).status_code == 200


def test_i24_failed_fetch_is_retried_after_a_backoff_not_per_request(proxy_on, clock):
    proxy_on.serve({"keys": []}, status=500)
    for _ in range(3):
        assert_unauthorized(hello(sign()))
    assert proxy_on.hits["/jwks"] == 1
    proxy_on.serve(IAP_JWKS)
    clock.advance(keysets.FAILURE_BACKOFF)
    assert hello(sign()).status_code == 200
    assert proxy_on.hits["/jwks"] == 2


def test_failed_refetch_for_an_unknown_kid_keeps_the_fresh_keys(proxy_on):
    assert hello(sign()).status_code == 200
    proxy_on.serve({"keys": []}, status=500)
    assert_unauthorized(hello(sign(kid="unknown")))
    assert hello(sign()).status_code == 200
    assert proxy_on.hits["/jwks"] == 2


def test_keys_from_a_file_url(tmp_path, db):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(IAP_JWKS))
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(path.as_uri())):
        assert hello(sign()).status_code == 200


def test_i25_requests_without_assertion_still_reach_public_and_token_paths(proxy_on, alice, token_for):
    assert APIClient().get("/api/test/all").status_code == 200
    response = APIClient().get("/api/test/user", HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")
    assert response.status_code == 200
    assert proxy_on.hits["/jwks"] == 0
