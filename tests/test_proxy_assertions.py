"""
Proxy assertions that used to answer 500: a key whose type does not fit the assertion's
algorithm, and an email claim whose identity key outgrows its column. Both are 401
``Unauthorized!`` and create nothing.
"""

import pytest
from jwt.algorithms import ECAlgorithm

from accounts.models import User
from tests.proxy import (
    ATTACKER_P384,
    ATTACKER_RSA,
    IAP_KEY,
    KID,
    assert_unauthorized,
    claims,
    hello,
    jwks,
    raw_token,
    sign,
)

MIXED_JWKS = jwks((IAP_KEY, KID, "ES256"), (ATTACKER_RSA, "rsa-kid", "RS256"))
MIXED_JWKS["keys"].append(
    {**ECAlgorithm.to_jwk(ATTACKER_P384.public_key(), as_dict=True), "kid": "p384-kid"}
)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: raw_token({"alg": "ES256", "kid": "rsa-kid"}, claims(), b"x" * 64), id="ES256 names an RSA key"),
        pytest.param(lambda: sign(key=IAP_KEY, alg="ES256", kid="rsa-kid"), id="ES256 signed, RSA kid"),
        pytest.param(lambda: raw_token({"alg": "ES256", "kid": "p384-kid"}, claims(), b"x" * 96), id="ES256 names a P-384 key"),
    ],
)
def test_a_key_of_another_type_than_the_algorithm_is_401(proxy_on, token):
    proxy_on.serve(MIXED_JWKS)
    assert_unauthorized(hello(token()))
    assert not User.objects.exists()


def test_the_right_key_in_a_mixed_set_still_verifies(proxy_on):
    proxy_on.serve(MIXED_JWKS)
    assert hello(sign()).status_code == 200
