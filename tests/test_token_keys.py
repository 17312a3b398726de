"""
The HMAC key check of PyJWT runs once per key (``accounts.tokens.CheckedKeyHMACAlgorithm``), with
the same answers: the configured secret signs and verifies, a public key offered as an HMAC secret
is refused every time.
"""

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from jwt.algorithms import HMACAlgorithm

from accounts.tokens import CheckedKeyHMACAlgorithm

SIGNING_KEY = settings.SIMPLE_JWT["SIGNING_KEY"]


@pytest.mark.parametrize("name", ["HS256", "HS384", "HS512"])
def test_pyjwt_checks_each_hmac_key_once(monkeypatch, name):
    algorithm = jwt.get_algorithm_by_name(name)
    assert isinstance(algorithm, CheckedKeyHMACAlgorithm)
    checks = []
    check = HMACAlgorithm.prepare_key
    monkeypatch.setattr(HMACAlgorithm, "prepare_key", lambda self, key: checks.append(key) or check(self, key))
    monkeypatch.setattr(algorithm, "prepared_keys", {})
    token = jwt.encode({"sub": "1"}, SIGNING_KEY, algorithm=name)
    for _ in range(3):
        assert jwt.decode(token, SIGNING_KEY, algorithms=[name]) == {"sub": "1"}
    assert checks == [SIGNING_KEY]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SIGNING_KEY + "x", algorithms=[name])


def test_a_public_key_is_refused_as_an_hmac_secret_every_time():
    pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    for _ in range(2):
        with pytest.raises(jwt.InvalidKeyError):
            jwt.encode({"sub": "1"}, pem, algorithm="HS256")
    assert pem not in jwt.get_algorithm_by_name("HS256").prepared_keys


def test_access_tokens_verify_through_the_api(api, alice, token_for):
    response = api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200
    assert SIGNING_KEY.encode() in jwt.get_algorithm_by_name("HS256").prepared_keys  # simplejwt passes bytes
