"""
The password step's second-factor branch (``accounts.views.SigninView`` calls ``challenge``
once the password is right):

- account with a confirmed authenticator (TOTP): 401 ``{"message": "Second factor required!",
  "mfaToken", "methods"}``, methods ``["totp", "recovery_code"]`` plus ``"passkey"`` when the
  account has passkeys; ``POST /api/auth/signin/mfa`` completes it with a code or a passkey.
- account holding a role of ``MFA_REQUIRED_ROLES``: with a passkey, the same 401 with
  ``["passkey"]`` (a passkey satisfies the rule); without any second factor, 403
  ``{"message": "Second factor setup required!", "setupToken"}``: no session; the token
  (``X-MFA-Setup-Token``) works on ``mfa/totp/setup`` and ``mfa/totp/confirm`` only, for 15
  minutes; then sign in again.
- any other account: None, the sign-in goes on unchanged. A passkey alone does not make the
  password step ask for it: its owner chose passwordless sign-in (``passkeys``), not a stricter
  password sign-in.

Queries: one for an account without TOTP and without a required role (does it have TOTP?);
one more (does it have a passkey?) only where the answer changes the outcome.

What is deliberately not here: passwordless passkey sign-in (a user-verified passkey is two
factors already) and OIDC / proxy sign-ins (the identity provider authenticated the user and
owns its second factor) never run this step.
"""

from django.conf import settings
from rest_framework.response import Response

from accounts.messages import SECOND_FACTOR_REQUIRED, SECOND_FACTOR_SETUP_REQUIRED
from passkeys.models import Passkey

from . import pending, services
from .models import PendingSignin

TOTP_METHODS = ["totp", "recovery_code"]
PASSKEY_METHOD = "passkey"
# Every second step a mfaToken can be redeemed with; ``methods`` lists those of the account.
METHODS = [*TOTP_METHODS, PASSKEY_METHOD]


def must_set_up(user):
    """True when ``user`` holds a role of ``MFA_REQUIRED_ROLES`` (and so needs a second factor)."""
    return bool(set(settings.MFA_REQUIRED_ROLES) & user.role_names)


def has_passkey(user):
    """True when ``user`` has registered a passkey (one query)."""
    return Passkey.objects.filter(user=user).exists()


def passkey_is_required(user):
    """
    For an account without TOTP (the caller checked): True when it holds a role of
    ``MFA_REQUIRED_ROLES`` and has a passkey, which is then its only second step. Anything that
    signs such a user in with a password alone would bypass it (``mfa.pages`` refuses them).
    """
    return bool(settings.MFA_REQUIRED_ROLES) and must_set_up(user) and has_passkey(user)


def second_step_methods(user):
    """The methods of ``user``'s second step, or [] when the password alone signs them in."""
    if services.has_second_factor(user):
        return [*TOTP_METHODS, PASSKEY_METHOD] if has_passkey(user) else list(TOTP_METHODS)
    return [PASSKEY_METHOD] if passkey_is_required(user) else []


def challenge(request, user):
    """The answer that stops a password-only sign-in of ``user``, or None (no factor needed)."""
    methods = second_step_methods(user)
    if methods:
        return Response(
            {"message": SECOND_FACTOR_REQUIRED, "mfaToken": pending.issue(user), "methods": methods}, status=401
        )
    if settings.MFA_REQUIRED_ROLES and must_set_up(user):
        token = pending.issue(user, PendingSignin.Purpose.SETUP)
        return Response({"message": SECOND_FACTOR_SETUP_REQUIRED, "setupToken": token}, status=403)
    return None
