"""
The restricted setup token (``X-MFA-Setup-Token``): what the password step hands a user of a role
in ``MFA_REQUIRED_ROLES`` who has no second factor yet. It authenticates on the setup and confirm
endpoints only (they list ``SetupTokenAuthentication``; no other view does), so its holder can
set a factor up and nothing else. A present but bad token is 401 ``Invalid or expired setup token!``.
"""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.messages import SETUP_TOKEN_INVALID

from . import pending
from .models import PendingSignin

SETUP_TOKEN_HEADER = "HTTP_X_MFA_SETUP_TOKEN"


class SetupTokenInvalid(exceptions.AuthenticationFailed):
    default_detail = SETUP_TOKEN_INVALID


class SetupGrant:
    """``request.auth`` of a request authenticated by a setup token (no session)."""

    def __init__(self, token):
        self.token = token


class SetupTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        token = request.META.get(SETUP_TOKEN_HEADER, "").strip()
        if not token:
            return None
        user = pending.peek(token, PendingSignin.Purpose.SETUP)
        if user is None:
            raise SetupTokenInvalid()
        return user, SetupGrant(token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
