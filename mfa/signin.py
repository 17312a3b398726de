"""
The password step's second-factor branch (``accounts.views.SigninView`` calls ``challenge``
once the password is right):

- account with a confirmed authenticator: 401 ``{"message": "Second factor required!",
  "mfaToken", "methods": ["totp", "recovery_code"]}``; ``POST /api/auth/signin/mfa`` completes it.
- account holding a role of ``MFA_REQUIRED_ROLES`` without one: 403 ``{"message": "Second factor
  setup required!", "setupToken"}``: no session; the token (``X-MFA-Setup-Token``) works on
  ``mfa/totp/setup`` and ``mfa/totp/confirm`` only, for 15 minutes; then sign in again.
- any other account: None, the sign-in goes on unchanged.
"""

from django.conf import settings
from rest_framework.response import Response

from accounts.messages import SECOND_FACTOR_REQUIRED, SECOND_FACTOR_SETUP_REQUIRED

from . import pending, services
from .models import PendingSignin

# The second steps a mfaToken can be redeemed with (a passkey step adds "passkey").
METHODS = ["totp", "recovery_code"]


def must_set_up(user):
    """True when ``user`` holds a role of ``MFA_REQUIRED_ROLES`` (and so needs a second factor)."""
    return bool(set(settings.MFA_REQUIRED_ROLES) & user.role_names)


def challenge(request, user):
    """The answer that stops a password-only sign-in of ``user``, or None (no factor needed)."""
    if services.has_second_factor(user):
        return Response(
            {"message": SECOND_FACTOR_REQUIRED, "mfaToken": pending.issue(user), "methods": METHODS}, status=401
        )
    if settings.MFA_REQUIRED_ROLES and must_set_up(user):
        token = pending.issue(user, PendingSignin.Purpose.SETUP)
        return Response({"message": SECOND_FACTOR_SETUP_REQUIRED, "setupToken": token}, status=403)
    return None
