"""
Proxy profiles (proxyauth.profiles): Cloudflare Access and generic profiles, the presets, and the
configuration checks.
"""

import time

import jwt
import pytest
from django.test import override_settings

from proxyauth import profiles
from proxyauth.models import ExternalIdentity
from tests.proxy import (
    AUD,
    CF_KEY,
    IAP_KEY,
    KID,
    assert_unauthorized,
    hello,
    jwks,
    now,
    sign,
)

# --- Other profiles -------------------------------------------------------------------------------

CF_TEAM = "https://example-team.cloudflareaccess.com"
CF_TAG = "a" * 64


def cloudflare_token(**over):
    now = int(time.time())
    payload = {"iss": CF_TEAM, "aud": [CF_TAG], "iat": now, "nbf": now, "exp": now + 86400,
               "sub": "7335d417-61da-459d-899c-0a01c76a2f94", "email": "carol@example.com",
               "type": "app", "country": "DE", **over}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, CF_KEY, algorithm="RS256",
                      headers={"kid": "cf-kid"})


@pytest.fixture
def cloudflare_on(key_server, db):
    key_server.serve(jwks((CF_KEY, "cf-kid", "RS256")), path="/cdn-cgi/access/certs")
    issuer = key_server.url("")
    profile = profiles.resolve("cloudflare", audience=CF_TAG, issuer=issuer)
    with override_settings(PROXY_AUTH_PROFILE=profile):
        yield issuer


@pytest.mark.parametrize(
    "over, status",
    [
        ({}, 200),
        ({"aud": CF_TAG}, 200),
        ({"aud": ["other-app", CF_TAG]}, 200),
        ({"aud": ["other-app"]}, 401),
        ({"iss": "https://other-team.cloudflareaccess.com"}, 401),
        ({"email": None}, 401),  # a service token: no email, not a user
        ({"nbf": lambda: int(time.time()) + 120}, 401),  # from when the test runs, not collection
    ],
)
def test_cloudflare_access_profile(cloudflare_on, over, status):
    over = {key: value() if callable(value) else value for key, value in over.items()}
    if "iss" not in over:
        over = {"iss": cloudflare_on, **over}
    response = hello(HTTP_CF_ACCESS_JWT_ASSERTION=cloudflare_token(**over))
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json() == {"message": "Hello carol@example.com"}


def test_cloudflare_assertion_in_the_iap_header_is_ignored(cloudflare_on):
    response = hello(cloudflare_token(iss=cloudflare_on))
    assert response.status_code == 403


def test_generic_profile_with_its_own_header_and_claim_names(key_server, db):
    key_server.serve(jwks((IAP_KEY, KID, "ES256")))
    profile = profiles.resolve(
        "generic", audience="app.example.com", header="X-Pomerium-Jwt-Assertion",
        jwks_url=key_server.url("/jwks"), issuer="authenticate.example.com",
        algorithms=["ES256"], subject_claim="user", email_claim="mail",
    )
    payload = {"iss": "authenticate.example.com", "aud": "app.example.com", "iat": now(),
               "exp": now() + 300, "user": "u-1", "mail": "dave@example.com"}
    with override_settings(PROXY_AUTH_PROFILE=profile):
        response = hello(HTTP_X_POMERIUM_JWT_ASSERTION=sign(payload))
        missing_claim = hello(HTTP_X_POMERIUM_JWT_ASSERTION=sign({**payload, "mail": None}))
    assert response.json() == {"message": "Hello dave@example.com"}
    assert ExternalIdentity.objects.get().subject == "u-1"
    assert_unauthorized(missing_claim)


# --- Configuration --------------------------------------------------------------------------------


def test_presets():
    iap = profiles.resolve("iap", audience=AUD)
    assert (iap.header, iap.algorithms, iap.jwks_url, iap.issuer, iap.max_lifetime) == (
        "X-Goog-Iap-Jwt-Assertion", ("ES256",), profiles.IAP_JWKS_URL, profiles.IAP_ISSUER, 660)
    cf = profiles.resolve("cloudflare", audience=CF_TAG, issuer=CF_TEAM + "/")
    assert (cf.header, cf.algorithms, cf.jwks_url, cf.issuer, cf.audience_in_list) == (
        "Cf-Access-Jwt-Assertion", ("RS256",), CF_TEAM + "/cdn-cgi/access/certs", CF_TEAM, True)


GENERIC = {"header": "X-Proxy-Jwt", "jwks_url": "https://proxy.example.com/jwks.json",
           "issuer": "https://proxy.example.com", "algorithms": ["ES256"]}


@pytest.mark.parametrize(
    "name, values, message",
    [
        ("iap", {"audience": ""}, "PROXY_AUTH_AUDIENCE is required"),
        ("cloudflare", {"audience": CF_TAG}, "PROXY_AUTH_ISSUER is required"),
        ("okta", {"audience": AUD}, "PROXY_AUTH must be off"),
        ("iap", {"audience": AUD, "jwks_url": "http://keys.example.com/jwks"}, "https://"),
        ("iap", {"audience": AUD, "jwks_url": "http://10.0.0.1/jwks"}, "https://"),
        ("iap", {"audience": AUD, "jwks_url": "ftp://127.0.0.1/jwks"}, "https://"),
        ("iap", {"audience": AUD, "jwks_url": "file://keys.example.com/jwks.json"}, "https://"),
        ("iap", {"audience": AUD, "jwks_url": "https:///jwks"}, "https://"),
        ("iap", {"audience": AUD, "header": "X_Goog_Iap"}, "PROXY_AUTH_HEADER must be"),
        ("generic", {**GENERIC, "audience": AUD, "header": ""}, "PROXY_AUTH_HEADER is required"),
        ("generic", {**GENERIC, "audience": AUD, "issuer": ""}, "PROXY_AUTH_ISSUER is required"),
        ("generic", {**GENERIC, "audience": AUD, "jwks_url": ""}, "PROXY_AUTH_JWKS_URL is required"),
        ("generic", {**GENERIC, "audience": AUD, "algorithms": []}, "PROXY_AUTH_ALGORITHMS is required"),
        ("generic", {**GENERIC, "audience": AUD, "algorithms": ["HS256"]}, "'HS256' is not one of"),
        ("generic", {**GENERIC, "audience": AUD, "algorithms": ["none"]}, "'none' is not one of"),
        ("generic", {**GENERIC, "audience": AUD, "algorithms": ["ES256", "RS256"]}, "one key type"),
    ],
)
def test_incomplete_or_unsafe_profiles_are_refused(name, values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        profiles.resolve(name, **values)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8400/jwks", "http://[::1]/jwks", "http://localhost/k",
                                 "file:///etc/authsite/jwks.json", "https://keys.example.com/jwks"])
def test_allowed_key_urls(url):
    assert profiles.resolve("iap", audience=AUD, jwks_url=url).jwks_url == url
