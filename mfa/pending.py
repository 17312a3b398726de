"""
Pending sign-ins: the ``mfaToken`` that the password step hands out when the account has a second
factor, and the setup token of an account that must set one up first (``MFA_REQUIRED_ROLES``).

The contract for every second step (TOTP and recovery codes here; a passkey later):

1. ``peek(token)`` -> the user the token was issued to, or None (unknown, expired, used, or the
   password changed since). No effect: a wrong code leaves the token usable.
2. Check the second factor of that user.
3. ``redeem(token)`` -> the user, or None if another request redeemed it first. The row is
   deleted by a conditional DELETE, so of two concurrent redemptions exactly one gets the user.
   Then open the session (``accounts.signin.open_session`` + ``signin_response``).
"""

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import PendingSignin

SIGNIN_LIFETIME = timedelta(minutes=5)
SETUP_LIFETIME = timedelta(minutes=15)
KEPT_PER_USER = 10
LIFETIMES = {PendingSignin.Purpose.SIGNIN: SIGNIN_LIFETIME, PendingSignin.Purpose.SETUP: SETUP_LIFETIME}


def digest(value):
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def issue(user, purpose=PendingSignin.Purpose.SIGNIN):
    """
    A new token for ``user``'s password step that just passed. The user's expired tokens go, and
    only the ``KEPT_PER_USER`` newest stay (someone repeating the password step cannot grow the
    table).
    """
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        PendingSignin.objects.filter(user=user, expires_at__lte=now).delete()
        PendingSignin.objects.create(
            user=user, token_digest=digest(token), purpose=purpose, password_digest=digest(user.password),
            expires_at=now + LIFETIMES[purpose],
        )
        dropped = list(
            PendingSignin.objects.filter(user=user).order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[KEPT_PER_USER:]
        )
        if dropped:
            PendingSignin.objects.filter(pk__in=dropped).delete()
    return token


def find(token, purpose):
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    pending = (
        PendingSignin.objects.select_related("user")
        .filter(token_digest=digest(token), purpose=purpose, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
    if pending is None or pending.password_digest != digest(pending.user.password):
        return None
    return pending


def peek(token, purpose=PendingSignin.Purpose.SIGNIN):
    """The user ``token`` was issued to, if it is still good; nothing changes."""
    pending = find(token, purpose)
    return None if pending is None else pending.user


def redeem(token, purpose=PendingSignin.Purpose.SIGNIN):
    """Use ``token`` up: its user, or None when it is not good (or was redeemed concurrently)."""
    pending = find(token, purpose)
    if pending is None:
        return None
    deleted, _ = PendingSignin.objects.filter(pk=pending.pk).delete()
    return pending.user if deleted else None


def purge():
    """Delete expired tokens (``manage.py purgesessions`` calls it); returns how many."""
    return PendingSignin.objects.filter(expires_at__lte=timezone.now()).delete()[0]
