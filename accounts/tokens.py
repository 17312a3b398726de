"""
Tokens.

Access tokens are simplejwt JWTs (algorithm and key from settings.SIMPLE_JWT) whose payload carries
the user's id as an integer in ``id``, ``iat``, ``exp``, ``jti``, ``token_type`` and ``sid``, the id
of the sign-in session (``accounts.models.Session``) they were issued for.

Refresh tokens are opaque random strings. Only their SHA-256 digest is stored, so a copy of the
database does not hand out sessions.
"""

import base64
import hashlib
import secrets

from django.utils.crypto import salted_hmac
from rest_framework_simplejwt import tokens

SESSION_ID_CLAIM = "sid"


class AccessToken(tokens.AccessToken):
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
