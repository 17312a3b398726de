"""
ID tokens the real provider would never mint (wrong audience, expired, ``alg: none``, another
nonce, ...): an ``Interposer`` in front of its token endpoint rewrites the ID token of the real
token response, signing with the provider's own key (exported by tests/oidcprovider/provider.mjs).
"""

import dataclasses
import time

import jwt
import pytest

from accounts.models import User
from oidc import discovery
from tests.oidcop import CLIENT_SECRET, Interposer, callback, login, redeem, result


@pytest.fixture
def interposer(op, corp):
    with Interposer(op) as server:
        metadata = discovery.metadata_for(corp)
        discovery._cache[corp] = (time.monotonic(), dataclasses.replace(metadata, token_endpoint=server.url))
        yield server


def outcome(api, op, interposer, rewrite, name):
    interposer.rewrite = rewrite
    return result(callback(api, op.sign_in(login(api), name)))


@pytest.mark.django_db
def test_the_interposer_itself_keeps_a_valid_token_valid(api, op, interposer):
    answer = outcome(api, op, interposer, lambda claims: op.mint_id_token(claims), "uma")
    assert redeem(api, answer["code"]).status_code == 200


def changed(**changes):
    return lambda op: lambda claims: op.mint_id_token({**claims, **changes})


NOW = int(time.time())

REFUSED = {
    "wrong audience": changed(aud="someone-else"),
    "audience list without azp": changed(aud=["authsite-test", "someone-else"]),
    "azp of another client": changed(azp="someone-else"),
    "another issuer": changed(iss="http://127.0.0.1:1"),
    "expired": changed(exp=NOW - 600, iat=NOW - 900),
    "issued in the future": changed(iat=NOW + 3600, exp=NOW + 7200),
    "nonce mismatch": changed(nonce="not-this-flows"),
    "no nonce": lambda op: lambda claims: op.mint_id_token({k: v for k, v in claims.items() if k != "nonce"}),
    "alg none": lambda op: lambda claims: op.mint_id_token(claims, alg="none"),
    "HS256 with the client secret": lambda op: lambda claims: jwt.encode(claims, CLIENT_SECRET, "HS256"),
    "unknown kid": lambda op: lambda claims: jwt.encode(
        claims, jwt.PyJWK(op.signing_key).key, "RS256", headers={"kid": "other"}
    ),
    "not a JWT": lambda op: lambda claims: "garbage",
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", REFUSED)
def test_an_invalid_id_token_ends_at_next_and_signs_nobody_in(api, op, interposer, case):
    assert outcome(api, op, interposer, REFUSED[case](op), f"victim{len(case)}") == {"error": "invalid_id_token"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_token_endpoint_that_does_not_answer_ends_at_next(api, op, corp):
    from tests.servers import free_port

    metadata = discovery.metadata_for(corp)
    closed = f"http://127.0.0.1:{free_port()}/token"
    discovery._cache[corp] = (time.monotonic(), dataclasses.replace(metadata, token_endpoint=closed))
    assert result(callback(api, op.sign_in(login(api), "down"))) == {"error": "provider_unavailable"}
    assert not User.objects.exists()
