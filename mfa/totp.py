"""
TOTP (RFC 6238) through ``pyotp``: new secrets, the ``otpauth://`` URI and its QR code (SVG via
``segno``), and the verification of a code, accepted for the time steps ``now - 1``, ``now`` and
``now + 1`` (30 s each, clock drift) and at most once: a code is accepted only for a step later
than the last accepted one, recorded by a conditional UPDATE (``last_used_step``), so a replayed
code, an older one, and the second of two concurrent uses of one code are all refused.
"""

import re

import pyotp
from django.conf import settings

from . import clock, encryption
from .models import TOTPDevice

DIGITS = 6
INTERVAL = 30
# Steps accepted on either side of the current one.
VALID_WINDOW = 1
CODE_PATTERN = re.compile(r"[0-9]{6}")


def new_secret():
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(user, secret):
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=user.username, issuer_name=settings.MFA_ISSUER
    )


def qr_svg_data_uri(uri):
    """
    The QR code of ``uri``, as an SVG ``data:`` URI (an ``<img src>`` for pages and apps). segno
    is imported here, at the first TOTP set-up, not with the sign-in path that verifies codes.
    """
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=4)


def clean_code(code):
    """The six digits of ``code`` (spaces allowed, as apps show ``123 456``), or None."""
    if not isinstance(code, str):
        return None
    code = code.replace(" ", "")
    return code if CODE_PATTERN.fullmatch(code) else None


def matching_step(secret, code, for_time):
    """The time step within the window whose code is ``code``, or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int(for_time // INTERVAL)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def verify(device, code, for_time=None):
    """
    True when ``code`` is ``device``'s code for a step within the window that no code was
    accepted for yet; that step is then recorded (a write). ``for_time``: Unix seconds, by
    default ``mfa.clock.now()``.
    """
    code = clean_code(code)
    if code is None:
        return False
    for_time = clock.now() if for_time is None else for_time
    step = matching_step(encryption.decrypt(device.encrypted_secret), code, for_time)
    if step is None:
        return False
    won = TOTPDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(last_used_step=step)
    if won:
        device.last_used_step = step
    return bool(won)


def reencrypt_all():
    """Move every stored secret to the first key of ``MFA_ENCRYPTION_KEYS``; returns how many."""
    count = 0
    for device in TOTPDevice.objects.only("pk", "encrypted_secret").iterator():
        TOTPDevice.objects.filter(pk=device.pk, encrypted_secret=device.encrypted_secret).update(
            encrypted_secret=encryption.reencrypt(device.encrypted_secret)
        )
        count += 1
    return count


