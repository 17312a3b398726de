"""
ID token verification (OpenID Connect Core 1.0, 3.1.3.7), with PyJWT and the provider's key set,
as ``proxyauth.verifier`` checks a proxy's assertion:

1. Shape and header: a compact JWS; ``alg`` one of the provider's asymmetric algorithms (``none``
   and HS* are refused before any key lookup); ``kid`` names a key of the provider's JWK set of
   the algorithm's type.
2. Signature; ``iss`` exactly the provider's; ``aud`` the client id (or a list holding it);
   ``exp`` and ``iat`` present and numbers, with ``LEEWAY`` seconds of clock skew; ``sub`` present.
3. ``azp``: required and equal to the client id when ``aud`` names anyone else; equal when present.
4. ``nonce``: exactly the one this flow sent (constant-time comparison).
"""

import hmac

import jwt

from proxyauth.verifier import InvalidAssertion, _check_shape, key_fits

LEEWAY = 30
MAX_KID_LENGTH = 128


class InvalidIDToken(Exception):
    """The ID token is not acceptable; the message says why (for the log)."""


def verify_id_token(token, provider, metadata, nonce):
    """The claims of ``token``, checked for ``provider`` and this flow's ``nonce``."""
    if not isinstance(token, str):
        raise InvalidIDToken("no ID token in the token response")
    try:
        _check_shape(token)
        header = jwt.get_unverified_header(token)
    except (InvalidAssertion, jwt.PyJWTError) as exc:
        raise InvalidIDToken(f"malformed: {exc}") from None
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm not in metadata.algorithms:
        raise InvalidIDToken(f"algorithm {algorithm!r} not allowed")
    if not isinstance(kid, str) or not 0 < len(kid) <= MAX_KID_LENGTH:
        raise InvalidIDToken("missing or malformed kid")
    key = metadata.key_set.get(kid)
    if key is None or not key_fits(algorithm, key):
        raise InvalidIDToken(f"no usable key {kid!r} (or key set unavailable)")
    try:
        claims = jwt.decode(
            token, key.key, algorithms=[algorithm], audience=provider.client_id,
            issuer=provider.issuer, leeway=LEEWAY,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidIDToken(f"{type(exc).__name__}: {exc}") from None
    if not all(type(claims[name]) in (int, float) for name in ("exp", "iat")):
        raise InvalidIDToken("exp and iat must be numbers")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    if (audiences != [provider.client_id] or azp is not None) and azp != provider.client_id:
        raise InvalidIDToken("azp missing or not this client")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise InvalidIDToken("nonce mismatch")
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
        raise InvalidIDToken("sub malformed")
    return claims
