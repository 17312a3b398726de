"""
Key material for authsite's own access tokens when they are signed asymmetrically.

``JWT_ALGORITHM`` is ``HS256`` (a shared secret, the default) or one of ``ASYMMETRIC_ALGORITHMS``.
For the asymmetric ones authsite signs with ``JWT_PRIVATE_KEY`` and publishes the public key, and
any ``JWT_PREVIOUS_PUBLIC_KEYS``, as a JWK set (``GET /.well-known/jwks.json``) so other services can
verify its tokens. Each key is named by its RFC 7638 thumbprint (``kid``), which is stable for a key
and needs no bookkeeping.

This module only parses, checks, converts and generates keys; it reads no settings, so
``authsite.settings`` can use it to refuse a bad key at start-up.
"""

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

SYMMETRIC_ALGORITHMS = ("HS256", "HS384", "HS512")
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")
RSA_MIN_BITS = 2048
RSA_GENERATED_BITS = 3072



class _Family(NamedTuple):
    private: type
    public: type
    jwk: Any  # the PyJWT algorithm class whose to_jwk writes the public key
    needs: str  # what the operator must supply, for the error message


_FAMILIES: dict[str, _Family] = {
    "RS256": _Family(
        rsa.RSAPrivateKey, rsa.RSAPublicKey, RSAAlgorithm, f"an RSA key of at least {RSA_MIN_BITS} bits"
    ),
    "ES256": _Family(
        ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey, ECAlgorithm, "an EC key on the P-256 curve"
    ),
    "EdDSA": _Family(ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, OKPAlgorithm, "an Ed25519 key"),
}
# RFC 7638: the members of a JWK that its thumbprint covers, per key type.
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}

PEM_BEGIN = "-----BEGIN "
_PUBLIC_KEY_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.DOTALL)


class UnusableKey(ValueError):
    """A key that cannot be used; the message says why, for the operator."""


def _check(key: Any, algorithm: str, private: bool) -> Any:
    family = _FAMILIES[algorithm]
    if not isinstance(key, family.private if private else family.public):
        raise UnusableKey(f"{algorithm} needs {family.needs}.")
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise UnusableKey(f"{algorithm} needs {family.needs}, not {key.curve.name}.")
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and key.key_size < RSA_MIN_BITS:
        raise UnusableKey(f"{algorithm} needs {family.needs}, not {key.key_size}.")
    return key


def load_private_key(pem: str, algorithm: str) -> PrivateKey:
    """The private key in PEM text ``pem``, checked against ``algorithm``."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise UnusableKey(f"not an unencrypted PEM private key ({exc}).") from None
    return _check(key, algorithm, private=True)


def load_public_keys(pem: str, algorithm: str) -> list[PublicKey]:
    """Every public key in PEM text ``pem`` (one or more ``PUBLIC KEY`` blocks), checked."""
    blocks = _PUBLIC_KEY_BLOCK.findall(pem)
    if not blocks:
        raise UnusableKey("no -----BEGIN PUBLIC KEY----- block found.")
    keys = []
    for block in blocks:
        try:
            key = serialization.load_pem_public_key(block.encode())
        except (ValueError, TypeError) as exc:
            raise UnusableKey(f"not a PEM public key ({exc}).") from None
        keys.append(_check(key, algorithm, private=False))
    return keys


def public_pem(key: PrivateKey | PublicKey) -> str:
    """The PEM text (SubjectPublicKeyInfo) of ``key``'s public half."""
    if hasattr(key, "public_key"):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def private_pem(key: PrivateKey) -> str:
    """The unencrypted PKCS#8 PEM text of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def generate_private_key(algorithm: str) -> PrivateKey:
    """A new private key for ``algorithm`` (one of ``ASYMMETRIC_ALGORITHMS``)."""
    generate: dict[str, Callable[[], PrivateKey]] = {
        "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=RSA_GENERATED_BITS),
        "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate,
    }
    return generate[algorithm]()


def _public_members(public_key: PublicKey, algorithm: str) -> dict[str, Any]:
    return _FAMILIES[algorithm].jwk.to_jwk(public_key, as_dict=True)


def key_id(public_key: PublicKey, algorithm: str) -> str:
    """The key's RFC 7638 JWK thumbprint (SHA-256, base64url): its ``kid``."""
    members = _public_members(public_key, algorithm)
    canonical = {name: members[name] for name in _THUMBPRINT_MEMBERS[members["kty"]]}
    digest = hashlib.sha256(json.dumps(canonical, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def public_jwk(public_key: PublicKey, algorithm: str) -> dict[str, Any]:
    """The public key as a JWK with ``kid``, ``alg`` and ``use``."""
    jwk = _public_members(public_key, algorithm)
    return {**jwk, "kid": key_id(public_key, algorithm), "alg": algorithm, "use": "sig"}
