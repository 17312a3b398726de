"""
Tokens.

Access tokens are simplejwt JWTs (algorithm and key from settings.SIMPLE_JWT) whose payload carries
the user's id as an integer in ``id``, ``iat``, ``exp``, ``jti``, ``token_type`` and ``sid``, the id
of the sign-in session (``accounts.models.Session``) they were issued for.

With an asymmetric ``JWT_ALGORITHM`` (RS256, ES256, EdDSA) every access token names its signing key
in a ``kid`` header, and is verified with the key of that ``kid``: the current one
(``JWT_PRIVATE_KEY``'s public half) or one of ``JWT_PREVIOUS_PUBLIC_KEYS``, so tokens signed before a
key rotation stay valid until they expire. ``published_jwks()`` is the JWK set that
``/.well-known/jwks.json`` serves so that other services can verify authsite's tokens. The
algorithm stays pinned whatever the key.

Refresh tokens are opaque random strings. Only their SHA-256 digest is stored, so a copy of the
database does not hand out sessions.
"""

import base64
import hashlib
import secrets
from functools import lru_cache

import jwt
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.crypto import salted_hmac
from jwt.algorithms import HMACAlgorithm
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError

from . import keys

SESSION_ID_CLAIM = "sid"


class CheckedKeyHMACAlgorithm(HMACAlgorithm):
    """
    PyJWT's HMAC algorithm (HS256, HS384, HS512) remembering the keys it has accepted.

    PyJWT checks an HMAC key on every ``encode`` and ``decode`` (that it is not a PEM, SSH or DER
    public key nor a JWK, which would let a token's ``alg`` header turn a public key into an HMAC
    secret): ~10-15 µs of the ~45 µs that verifying an access token costs, spent on the same
    configured key each time. ``prepare_key`` is a pure function of the key, so the answer is
    kept for the few keys a process uses (a key refused is refused again, every time).
    """

    max_keys = 16

    def __init__(self, hash_alg):
        super().__init__(hash_alg)
        self.prepared_keys = {}

    def prepare_key(self, key):
        if type(key) in (str, bytes):
            prepared = self.prepared_keys.get(key)
            if prepared is None:
                prepared = super().prepare_key(key)
                if len(self.prepared_keys) < self.max_keys:
                    self.prepared_keys[key] = prepared
            return prepared
        return super().prepare_key(key)


def register_checked_key_hmac():
    """
    Put ``CheckedKeyHMACAlgorithm`` in place of PyJWT's HS256, HS384 and HS512, through PyJWT's
    ``unregister_algorithm``/``register_algorithm`` (every ``jwt.encode``/``jwt.decode`` of the
    process, so the OIDC and proxy verifiers too: the answers are the same).
    """
    for name, hash_alg in (
        ("HS256", HMACAlgorithm.SHA256), ("HS384", HMACAlgorithm.SHA384), ("HS512", HMACAlgorithm.SHA512)
    ):
        if not isinstance(jwt.get_algorithm_by_name(name), CheckedKeyHMACAlgorithm):
            jwt.unregister_algorithm(name)
            jwt.register_algorithm(name, CheckedKeyHMACAlgorithm(hash_alg))


class KeyedTokenBackend(TokenBackend):
    """
    simplejwt's ``TokenBackend`` that, for asymmetric algorithms, writes the signing key's ``kid``
    into each token's header and verifies a token with the key its ``kid`` names (current or
    previous). A token without a known ``kid`` is refused. Symmetric algorithms: unchanged.
    """

    def __init__(self, *args, previous_verifying_keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.key_id = None
        self.verifying_keys = {}
        if self.algorithm in keys.ASYMMETRIC_ALGORITHMS:
            for pem in (self.verifying_key, *previous_verifying_keys):
                key = self._prepare_key(pem)
                self.verifying_keys[keys.key_id(key, self.algorithm)] = key
            self.key_id = next(iter(self.verifying_keys))

    def encode(self, payload):
        if self.key_id is None:
            return super().encode(payload)
        payload = payload.copy()
        if self.audience is not None:
            payload["aud"] = self.audience
        if self.issuer is not None:
            payload["iss"] = self.issuer
        return jwt.encode(
            payload,
            self.prepared_signing_key,
            algorithm=self.algorithm,
            headers={"kid": self.key_id},
            json_encoder=self.json_encoder,
        )

    def get_verifying_key(self, token):
        if self.key_id is None:
            return super().get_verifying_key(token)
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str) or kid not in self.verifying_keys:
            raise TokenBackendError("Token is invalid")
        return self.verifying_keys[kid]

    def published_jwks(self):
        """The public keys as a JWK set (no keys for a symmetric algorithm)."""
        return {
            "keys": [keys.public_jwk(key, self.algorithm) for key in self.verifying_keys.values()]
        }


@lru_cache(maxsize=1)
def token_backend():
    """The process's ``KeyedTokenBackend``, built from ``SIMPLE_JWT`` and ``JWT_PREVIOUS_PUBLIC_KEYS``."""
    api_settings = simplejwt_settings.api_settings  # replaced, not updated, when SIMPLE_JWT changes
    return KeyedTokenBackend(
        api_settings.ALGORITHM,
        api_settings.SIGNING_KEY,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        None,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
        previous_verifying_keys=settings.JWT_PREVIOUS_PUBLIC_KEYS,
    )


def _forget_token_backend(setting, **kwargs):
    if setting in ("SIMPLE_JWT", "JWT_PREVIOUS_PUBLIC_KEYS"):
        token_backend.cache_clear()


setting_changed.connect(_forget_token_backend)


# The range of Unix timestamps ``datetime`` can represent (years 1 to 9999), with a day to spare.
MIN_TIMESTAMP = -62135596800 + 86400
MAX_TIMESTAMP = 253402300799 - 86400


class AccessToken(tokens.AccessToken):
    @property
    def token_backend(self):
        return token_backend()

    def check_exp(self, claim="exp", current_time=None):
        """
        simplejwt's, for a claim that is a number a datetime can hold. PyJWT lets a numeric string
        (``"9999999999"``) through and simplejwt then fails on it, and on ``1e300``, with an error
        that is no ``TokenError`` (a 500); here both are an invalid token.
        """
        value = self.payload.get(claim)
        if value is not None and (
            type(value) not in (int, float) or not MIN_TIMESTAMP <= value <= MAX_TIMESTAMP
        ):
            raise TokenError(f"Token '{claim}' claim is not a timestamp")
        super().check_exp(claim, current_time)

    @classmethod
    def for_session(cls, session):
        """A new access token for ``session.user`` that names ``session``."""
        token = cls()
        # simplejwt's for_user() writes the id as a string; the contract wants an integer.
        token["id"] = session.user_id
        token[SESSION_ID_CLAIM] = session.pk
        return token


def generate_refresh_token():
    """A new refresh token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def successor_refresh_token(raw_token):
    """
    The refresh token that replaces ``raw_token`` under rotation: an HMAC of it under SECRET_KEY,
    so it is unpredictable without the key, yet every concurrent refresh of ``raw_token`` (tabs
    racing inside the grace window) is handed the same successor without storing it raw.
    """
    mac = salted_hmac("authsite.refresh-token-rotation", raw_token, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def refresh_token_digest(raw_token):
    """The stored form of a refresh token."""
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()
