"""
Own access tokens signed asymmetrically (RS256, ES256, EdDSA) and ``GET /.well-known/jwks.json``:
another service verifies authsite's tokens with plain PyJWT and the published keys; rotated-out
keys keep verifying while listed in ``JWT_PREVIOUS_PUBLIC_KEYS``; the algorithm stays pinned.
"""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from django.conf import settings
from django.test import override_settings

from accounts import keys
from accounts.models import Session
from tests.conftest import PASSWORD

ALGORITHMS = keys.ASYMMETRIC_ALGORITHMS
CURRENT = {alg: keys.generate_private_key(alg) for alg in ALGORITHMS}
PREVIOUS = {alg: keys.generate_private_key(alg) for alg in ALGORITHMS}
OTHER = {alg: keys.generate_private_key(alg) for alg in ALGORITHMS}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


def signing(algorithm, key, previous=()):
    """Settings that sign with ``key`` under ``algorithm`` and also accept ``previous`` keys."""
    return override_settings(
        SIMPLE_JWT={**settings.SIMPLE_JWT, "ALGORITHM": algorithm,
                    "SIGNING_KEY": keys.private_pem(key), "VERIFYING_KEY": keys.public_pem(key)},
        JWT_PREVIOUS_PUBLIC_KEYS=[keys.public_pem(k) for k in previous],
    )


def kid_of(key, algorithm):
    return keys.key_id(key.public_key(), algorithm)


def jwks(api):
    response = api.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    return response.json()


def user_board(api, token):
    return api.get("/api/test/user", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_hs256_publishes_an_empty_key_set_and_issues_no_kid(api, alice, token_for):
    assert jwks(api) == {"keys": []}
    assert "kid" not in jwt.get_unverified_header(token_for(alice))


def test_jwks_ignores_bad_credentials(api):
    response = api.get("/.well-known/jwks.json", HTTP_AUTHORIZATION="Bearer junk",
                       HTTP_X_GOOG_IAP_JWT_ASSERTION="junk")
    assert response.status_code == 200


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_signin_token_verifies_with_the_published_key_using_plain_pyjwt(api, alice, algorithm):
    with signing(algorithm, CURRENT[algorithm]):
        response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
        token = response.json()["accessToken"]
        published = jwks(api)
        assert user_board(api, token).status_code == 200
    header = jwt.get_unverified_header(token)
    assert header["alg"] == algorithm
    assert header["kid"] == kid_of(CURRENT[algorithm], algorithm)
    [jwk] = published["keys"]
    assert (jwk["kid"], jwk["alg"], jwk["use"]) == (header["kid"], algorithm, "sig")
    assert not PRIVATE_MEMBERS & set(jwk)
    key = jwt.PyJWKSet.from_dict(published)[header["kid"]]
    payload = jwt.decode(token, key.key, algorithms=[algorithm])
    assert payload["id"] == alice.pk


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_previous_keys_keep_old_tokens_valid_and_are_published(api, alice, token_for, algorithm):
    with signing(algorithm, PREVIOUS[algorithm]):
        old_token = token_for(alice)
    with signing(algorithm, CURRENT[algorithm], previous=[PREVIOUS[algorithm]]):
        assert user_board(api, old_token).status_code == 200
        assert user_board(api, token_for(alice)).status_code == 200
        kids = [jwk["kid"] for jwk in jwks(api)["keys"]]
    assert kids == [kid_of(CURRENT[algorithm], algorithm), kid_of(PREVIOUS[algorithm], algorithm)]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_without_the_previous_key_old_tokens_are_refused(api, alice, token_for, algorithm):
    with signing(algorithm, PREVIOUS[algorithm]):
        old_token = token_for(alice)
    with signing(algorithm, CURRENT[algorithm]):
        response = user_board(api, old_token)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized!"}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged(alice, header, sign=lambda signing_input: b""):
    now = int(time.time())
    payload = {"token_type": "access", "exp": now + 300, "iat": now, "jti": "x" * 32, "id": alice.pk}
    signing_input = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64u(sign(signing_input.encode()))}"


def payload_for(alice):
    """Valid claims for alice: a live session of hers, authsite as the issuer."""
    session, _ = Session.objects.start(alice)
    now = int(time.time())
    return {
        "token_type": "access", "exp": now + 300, "iat": now, "jti": "y" * 32, "id": alice.pk,
        "sid": session.pk, "iss": settings.SIMPLE_JWT["ISSUER"],
    }


FORGERIES = [
    ("alg none", lambda alice, kid: forged(alice, {"alg": "none", "kid": kid})),
    ("HS256 keyed with the public PEM", lambda alice, kid: forged(
        alice, {"alg": "HS256", "kid": kid},
        lambda data: hmac.new(keys.public_pem(CURRENT["ES256"]).encode(), data, hashlib.sha256).digest())),
    ("RS256 by another key, current kid", lambda alice, kid: jwt.encode(
        payload_for(alice), OTHER["RS256"], algorithm="RS256", headers={"kid": kid})),
    ("EdDSA by another key, current kid", lambda alice, kid: jwt.encode(
        payload_for(alice), OTHER["EdDSA"], algorithm="EdDSA", headers={"kid": kid})),
    ("ES256 by another key, current kid", lambda alice, kid: jwt.encode(
        payload_for(alice), OTHER["ES256"], algorithm="ES256", headers={"kid": kid})),
    ("ES256 by the right key, no kid", lambda alice, kid: jwt.encode(
        payload_for(alice), CURRENT["ES256"], algorithm="ES256")),
    ("ES256 by the right key, unknown kid", lambda alice, kid: jwt.encode(
        payload_for(alice), CURRENT["ES256"], algorithm="ES256", headers={"kid": "other"})),
    ("ES256 by the right key, kid not a string", lambda alice, kid: forged(
        alice, {"alg": "ES256", "kid": [kid]}, lambda data: b"x" * 64)),
]


@pytest.mark.parametrize("make_token", [f[1] for f in FORGERIES], ids=[f[0] for f in FORGERIES])
def test_es256_pins_the_algorithm_and_the_key(api, alice, make_token):
    kid = kid_of(CURRENT["ES256"], "ES256")
    with signing("ES256", CURRENT["ES256"]):
        response = user_board(api, make_token(alice, kid))
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized!"}


def test_es256_token_by_the_right_key_with_its_kid_is_accepted(api, alice):
    """The control for the forgeries above: the same construction, properly signed."""
    kid = kid_of(CURRENT["ES256"], "ES256")
    with signing("ES256", CURRENT["ES256"]):
        token = jwt.encode(payload_for(alice), CURRENT["ES256"], algorithm="ES256", headers={"kid": kid})
        assert user_board(api, token).status_code == 200


def test_configured_audience_and_issuer_are_written_and_checked(api, alice, token_for):
    key = CURRENT["ES256"]
    with signing("ES256", key), override_settings(
        SIMPLE_JWT={**settings.SIMPLE_JWT, "AUDIENCE": "svc", "ISSUER": "https://auth.example.com"}
    ):
        token = token_for(alice)
        assert user_board(api, token).status_code == 200
    payload = jwt.decode(token, key.public_key(), algorithms=["ES256"], audience="svc",
                         issuer="https://auth.example.com")
    assert payload["id"] == alice.pk
