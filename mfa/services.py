"""
What the second factor does, shared by the API (``mfa.views``), authsite's page (``mfa.pages``),
the admin and ``manage.py mfa``. Each function states its side effects: a notice mail goes into
the outbox (``mail.outbox.enqueue``, in the caller's transaction), a security event is logged,
and turning the factor on or off revokes the user's other sessions.
"""

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import Session
from accounts.security import log_event
from mail.outbox import enqueue

from . import encryption, recovery_codes, totp
from .models import PendingSignin, TOTPDevice


class AlreadyEnabled(Exception):
    pass


class NotSetUp(Exception):
    pass


def has_second_factor(user):
    """True when ``user`` has a confirmed authenticator (one query)."""
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def enabled_device(user):
    return TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_setup(user):
    """
    A new secret for ``user`` (replacing an unconfirmed one): ``(secret, otpauth URI, QR SVG data
    URI)``.
    AlreadyEnabled when a confirmed one exists (turn it off first).
    """
    secret = totp.new_secret()
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed_at is not None:
            raise AlreadyEnabled()
        if device is None:
            TOTPDevice.objects.create(user=user, encrypted_secret=encryption.encrypt(secret))
        else:
            TOTPDevice.objects.filter(pk=device.pk).update(
                encrypted_secret=encryption.encrypt(secret), last_used_step=-1
            )
    uri = totp.provisioning_uri(user, secret)
    return secret, uri, totp.qr_svg_data_uri(uri)


def confirm(request, user, code, keep_session=None):
    """
    Turn the factor on when ``code`` is right for the device being set up: returns the new
    recovery codes, or None for a wrong code. NotSetUp without a device being set up;
    AlreadyEnabled when it is on already. Side effects: every session of ``user`` but
    ``keep_session`` revoked, a notice queued, ``mfa_enabled`` logged.
    """
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        raise NotSetUp()
    if device.confirmed_at is not None:
        raise AlreadyEnabled()
    if not totp.verify(device, code):
        return None
    with transaction.atomic():
        if not TOTPDevice.objects.filter(pk=device.pk, confirmed_at=None).update(confirmed_at=timezone.now()):
            raise AlreadyEnabled()  # a concurrent confirmation won
        codes = recovery_codes.regenerate(user)
        revoked = revoke_other_sessions(user, keep_session)
        PendingSignin.objects.filter(user=user, purpose=PendingSignin.Purpose.SETUP).delete()
        enqueue("mfa_enabled", user.email, user=user)
    log_event("mfa_enabled", request, user=user.pk, sessions_revoked=revoked, level=logging.INFO)
    return codes


def disable(request, user, keep_session=None, by=None):
    """
    Turn the factor off: the authenticator and the recovery codes are deleted. Side effects: every
    session of ``user`` but ``keep_session`` revoked, a notice queued, ``mfa_disabled`` logged
    (``by``: the admin who reset it, for a lost phone). False when there was nothing to turn off.
    """
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        if not deleted:
            return False
        recovery_codes.RecoveryCode.objects.filter(user=user).delete()
        revoked = revoke_other_sessions(user, keep_session)
        enqueue("mfa_disabled", user.email, user=user, data={"by_admin": by is not None})
    fields = {"by": by} if by is not None else {}
    log_event("mfa_disabled", request, user=user.pk, sessions_revoked=revoked, level=logging.INFO, **fields)
    return True


def regenerate_recovery_codes(request, user):
    """New recovery codes for ``user`` (the old ones die); a notice queued, the event logged."""
    with transaction.atomic():
        codes = recovery_codes.regenerate(user)
        enqueue("mfa_recovery_codes_regenerated", user.email, user=user)
    log_event("mfa_recovery_codes_regenerated", request, user=user.pk, level=logging.INFO)
    return codes


def check_second_factor(request, user, code):
    """
    True when ``code`` is ``user``'s current TOTP code (unused) or one of its unused recovery
    codes (then used up: a notice queued with the codes left, the event logged).
    """
    device = enabled_device(user)
    if device is None:
        return False
    if totp.clean_code(code) is not None:
        return totp.verify(device, code)
    with transaction.atomic():
        if not recovery_codes.use(user, code):
            return False
        left = recovery_codes.remaining(user)
        enqueue("mfa_recovery_code_used", user.email, user=user, data={"remaining": left})
    log_event("mfa_recovery_code_used", request, user=user.pk, remaining=left, level=logging.INFO)
    return True


def proves_owner(user, password=None, code=None):
    """True when ``password`` is ``user``'s password or ``code`` its second factor's (used up)."""
    if password is not None:
        return user.check_password(password)
    if code is not None:
        return check_second_factor(None, user, code)
    return False


def revoke_other_sessions(user, keep_session=None):
    """Revoke ``user``'s sessions but ``keep_session`` (the one making the change); returns how many."""
    sessions = Session.objects.filter(user=user)
    if keep_session is not None:
        sessions = sessions.exclude(pk=keep_session.pk)
    return sessions.revoke()
