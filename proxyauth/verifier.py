"""
Verification of a proxy's signed assertion, in the order Google documents for IAP.

1. Shape: at most ``MAX_ASSERTION_LENGTH`` ASCII characters, three base64url segments.
2. Header: ``alg`` exactly one of the profile's algorithms (``none``, HS*, other curves are refused
   before any key lookup); ``kid`` a short string. ``jku``, ``x5u``, ``jwk`` and ``x5c`` are ignored:
   keys come from the profile's URL only.
3. Key: by ``kid`` from the profile's key set (``keysets``); its type (and an EC key's curve) must
   be the algorithm's: a set may hold RSA and EC keys, and PyJWT fails on a mismatch with a
   TypeError before it looks at the signature.
4. Signature, then claims: ``iss`` exact, ``aud`` exact (a string, or a list containing it where the
   profile allows), ``exp`` and ``iat`` required with the profile's leeway, ``exp - iat`` bounded,
   subject and email present as non-empty strings.

``verify()`` returns a ``VerifiedAssertion`` or raises ``InvalidAssertion`` whose message is for the
log only; the client sees the generic ``Unauthorized!``.
"""

import re
from dataclasses import dataclass
from typing import Any

import jwt

from accounts.models import identity_key_fits

from .keysets import key_set_for
from .profiles import ALGORITHM_FAMILIES, ProxyProfile

MAX_ASSERTION_LENGTH = 8192
MAX_KID_LENGTH = 128
MAX_SUBJECT_LENGTH = 255
MAX_EMAIL_LENGTH = 254
# The curve each ECDSA algorithm signs with (RFC 7518, 3.4), as ``cryptography`` names it.
EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidAssertion(Exception):
    """The assertion is not acceptable; the message says why (for the log)."""


@dataclass(frozen=True)
class VerifiedAssertion:
    """What a verified assertion says: ``request.auth`` for a proxy-authenticated request."""

    provider: str  # the issuer
    subject: str
    email: str
    claims: dict[str, Any]


def _check_shape(token: str) -> None:
    if len(token) > MAX_ASSERTION_LENGTH:
        raise InvalidAssertion("too long")
    if not token.isascii() or not _SHAPE.fullmatch(token):
        raise InvalidAssertion("not a compact JWS")


def _key_for(token: str, profile: ProxyProfile) -> tuple[str, jwt.PyJWK]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidAssertion(f"unreadable header ({exc})") from None
    if header.get("alg") not in profile.algorithms:
        raise InvalidAssertion(f"algorithm {header.get('alg')!r} not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
        raise InvalidAssertion("missing or malformed kid")
    key = key_set_for(profile).get(kid)
    if key is None:
        raise InvalidAssertion(f"unknown kid {kid!r} (or key set unavailable)")
    if not key_fits(header["alg"], key):
        raise InvalidAssertion(f"key {kid!r} ({key.key_type}) does not fit algorithm {header['alg']!r}")
    return header["alg"], key


def key_fits(algorithm: str, key: jwt.PyJWK) -> bool:
    """Whether the ``PyJWK`` ``key`` is of the type (and curve) ``algorithm`` signs with."""
    if algorithm not in ALGORITHM_FAMILIES.get(key.key_type or "", ()):
        return False
    curve = EC_CURVES.get(algorithm)
    return curve is None or key.key.curve.name == curve


def _claim(claims: dict[str, Any], name: str, max_length: int) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise InvalidAssertion(f"claim {name!r} missing or malformed")
    return value


def verify(token: str, profile: ProxyProfile) -> VerifiedAssertion:
    """The ``VerifiedAssertion`` in ``token`` (a str), checked against ``profile``."""
    _check_shape(token)
    algorithm, key = _key_for(token, profile)
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=profile.audience,
            issuer=profile.issuer,
            leeway=profile.leeway,
            options={"require": profile.required_claims, "strict_aud": not profile.audience_in_list},
        )
    except jwt.PyJWTError as exc:
        raise InvalidAssertion(f"{type(exc).__name__}: {exc}") from None
    exp, iat = claims["exp"], claims["iat"]
    if not all(type(value) in (int, float) for value in (exp, iat)):
        raise InvalidAssertion("exp and iat must be numbers")  # PyJWT also accepts "123"
    if profile.max_lifetime is not None and exp - iat > profile.max_lifetime:
        raise InvalidAssertion("lifetime too long")
    return VerifiedAssertion(
        provider=profile.issuer,
        subject=_claim(claims, profile.subject_claim, MAX_SUBJECT_LENGTH),
        email=_email(claims, profile.email_claim),
        claims=claims,
    )


def _email(claims: dict[str, Any], name: str) -> str:
    """The email claim: an address whose identity key fits its column (else a 500 on MariaDB)."""
    email = _claim(claims, name, MAX_EMAIL_LENGTH)
    if "@" not in email:
        raise InvalidAssertion(f"claim {name!r} is not an email address")
    if not identity_key_fits(email.strip(), "email_key"):
        raise InvalidAssertion(f"claim {name!r} too long once normalised")
    return email
