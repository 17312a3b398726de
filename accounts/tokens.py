"""
Tokens.

Access tokens are simplejwt JWTs (algorithm and key from settings.SIMPLE_JWT) whose payload carries
the user's id as an integer in ``id``, ``iat``, ``exp``, ``jti``, ``token_type`` and ``sid``, the id
of the sign-in session (``accounts.models.Session``) they were issued for.

Refresh tokens are opaque random strings. Only their SHA-256 digest is stored, so a copy of the
database does not hand out sessions.
"""

import hashlib
import secrets

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


def refresh_token_digest(raw_token):
    """The stored form of a refresh token."""
    return hashlib.sha256(raw_token.encode("utf-8", "surrogatepass")).hexdigest()
