"""
Access-token authentication: simplejwt's ``JWTAuthentication`` with the tutorial's transport
and messages.

- The token comes from ``x-access-token: <jwt>`` (raw) or ``Authorization: Bearer <jwt>``; when
  both are present, ``x-access-token`` wins.
- An expired token fails with ``Unauthorized! Access Token was expired!``; any other problem (bad
  signature, malformed, another algorithm, another token type, wrong or missing ``iss``/``aud``,
  no ``exp``, unknown or inactive user, a session that is revoked, expired or gone) with
  ``Unauthorized!``. Both are 401.

Revocation is immediate, at one query per request: ``get_user`` loads the token's session (``sid``)
joined to its user and the user's role memberships (``accounts.queries.live_session``), and only a
live session of an active user passes. The user comes back with its roles loaded, so the role
permissions (``accounts.permissions``) and ``/api/auth/me`` need no further query, and roles are
still read fresh on every request.
"""

from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from .messages import ACCESS_TOKEN_EXPIRED, UNAUTHORIZED
from .queries import live_session
from .tokens import SESSION_ID_CLAIM, AccessToken

ACCESS_TOKEN_HEADER = "HTTP_X_ACCESS_TOKEN"


def is_database_id(value):
    """An int that fits a BigAutoField (what the ORM would look up rather than treat as empty)."""
    return type(value) is int and 0 < value < 2**63


class Unauthorized(exceptions.AuthenticationFailed):
    default_detail = UNAUTHORIZED
    default_code = "unauthorized"


class AccessTokenExpired(exceptions.AuthenticationFailed):
    default_detail = ACCESS_TOKEN_EXPIRED
    default_code = "token_expired"


class AccessTokenAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        raw_token = self.get_raw_access_token(request)
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        return self.get_user(token), token

    def get_raw_access_token(self, request):
        """The token from ``x-access-token``, else from ``Authorization: Bearer``, else None."""
        raw_token = request.META.get(ACCESS_TOKEN_HEADER, "").strip()
        if raw_token:
            return raw_token
        header = self.get_header(request)
        if header is None:
            return None
        try:
            return self.get_raw_token(header)
        except exceptions.AuthenticationFailed:
            raise Unauthorized() from None

    def get_validated_token(self, raw_token):
        try:
            return AccessToken(raw_token)
        except ExpiredTokenError:
            raise AccessTokenExpired() from None
        except TokenError:
            raise Unauthorized() from None

    def get_user(self, validated_token):
        """The token's user, if the session the token names is live (one query)."""
        user_id = validated_token.get("id")
        session_id = validated_token.get(SESSION_ID_CLAIM)
        if not (is_database_id(user_id) and is_database_id(session_id)):
            raise Unauthorized()
        session = live_session(session_id, user_id)
        if session is None:
            raise Unauthorized()
        user = session.user
        user.hold_roles(session.role_ids)
        user.auth_session = session
        return user


class IgnoreFailures:
    """
    Wraps an authenticator for endpoints that need no token: a credential it cannot accept
    makes the caller anonymous (the next authenticator is asked) instead of failing the request.
    """

    def __init__(self, authenticator):
        self.authenticator = authenticator

    def authenticate(self, request):
        try:
            return self.authenticator.authenticate(request)
        except exceptions.AuthenticationFailed:
            return None

    def authenticate_header(self, request):
        return self.authenticator.authenticate_header(request)
