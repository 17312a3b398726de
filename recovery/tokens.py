"""
The links' tokens. Neither is stored or logged: they are made when the mail is composed
(``recovery.emails``) and checked when they come back.

- Password reset: Django's ``PasswordResetTokenGenerator`` (stateless: an HMAC over the user's
  pk, password hash, ``last_login``, email and a timestamp), so a link dies when the password
  changes (single use), at the next sign-in, when the email changes, or after
  ``PASSWORD_RESET_TIMEOUT``. The user travels as Django's ``uid``: the pk in URL-safe base64.
  authsite's reset page keeps a signed *grant* in the session instead (``make_reset_grant``).
- Email: ``django.core.signing`` with its own salt over ``{"u": pk, "e": address to verify,
  "c": address the account had}``; valid for ``EMAIL_VERIFY_TIMEOUT`` and only while the account
  still has address ``c`` (so an email-change link works once).
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User

EMAIL_SALT = "authsite.recovery.email"
GRANT_SALT = "authsite.recovery.reset-grant"
EMAIL_GRANT_SALT = "authsite.recovery.email-grant"
# How long the reset page's form may stay open after its link was checked.
GRANT_MAX_AGE = 15 * 60
MAX_TOKEN_LENGTH = 512
MAX_PK = 2**63 - 1


def encode_uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_for_uid(uid):
    """The active user a ``uid`` names, or None (anything malformed included)."""
    if not isinstance(uid, str) or not 0 < len(uid) <= 32:
        return None
    try:
        pk = int(urlsafe_base64_decode(uid).decode("ascii"))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if not 0 < pk <= MAX_PK:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def make_reset_token(user):
    return default_token_generator.make_token(user)


def reset_user(uid, token):
    """The user whose reset link ``uid``/``token`` is, while it still works; else None."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    user = user_for_uid(uid)
    if user is None or not user.has_usable_password():
        return None
    return user if default_token_generator.check_token(user, token) else None


def account_state(user):
    """An HMAC of what a reset token depends on (pk, password hash, last_login, email)."""
    return salted_hmac(GRANT_SALT, f"{user.pk}|{user.password}|{user.last_login}|{user.email}").hexdigest()


def make_reset_grant(user):
    """
    What the reset page keeps in the session instead of the token, once the token is checked:
    the user and its ``account_state``, signed. It dies as the token does (password, sign-in or
    email change) and after ``GRANT_MAX_AGE``, and it is not the token, so the session store never
    holds one.
    """
    return signing.dumps({"u": user.pk, "s": account_state(user)}, salt=GRANT_SALT)


def grant_matches(user, grant):
    """Whether ``grant`` (from ``make_reset_grant``) is still good for ``user`` as it is now."""
    try:
        payload = signing.loads(grant, salt=GRANT_SALT, max_age=GRANT_MAX_AGE)
        return payload["u"] == user.pk and constant_time_compare(payload["s"], account_state(user))
    except (signing.BadSignature, TypeError, KeyError):
        return False


def make_email_token(user, address, salt=EMAIL_SALT):
    """A token confirming that ``user`` (with its current address) receives mail at ``address``."""
    return signing.dumps({"u": user.pk, "e": address, "c": user.email}, salt=salt, compress=True)


def make_email_grant(user, address):
    """The confirmation page's session stand-in for a checked email token (its own salt, 15 minutes)."""
    return make_email_token(user, address, salt=EMAIL_GRANT_SALT)


def read_email_grant(grant):
    return read_email_token(grant, salt=EMAIL_GRANT_SALT, max_age=GRANT_MAX_AGE)


def read_email_token(token, salt=EMAIL_SALT, max_age=None):
    """``(user, address)`` for a valid email token whose account still has its address; else None."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
        return None
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age or settings.EMAIL_VERIFY_TIMEOUT)
        pk, address, current = payload["u"], payload["e"], payload["c"]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or user.email != current:
        return None
    return user, address
