"""
Recovery codes: ``COUNT`` single-use codes of 80 random bits each (16 base32 characters, shown
as ``abcd-efgh-ijkl-mnop``), for when the authenticator is lost. Only their SHA-256 digests are
stored (80 bits leave nothing to guess offline; a slow hash would make each sign-in attempt cost
ten). A new set replaces the old one entirely. Using one is a conditional UPDATE: of two
concurrent uses of one code exactly one succeeds.
"""

import base64
import hashlib
import re
import secrets

from django.db import transaction
from django.utils import timezone

from .models import RecoveryCode

COUNT = 10
CODE_PATTERN = re.compile(r"[A-Z2-7]{16}")


def normalise(code):
    """``code`` without separators or spaces, upper case; None when it cannot be a recovery code."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    code = re.sub(r"[\s-]", "", code).upper()
    return code if CODE_PATTERN.fullmatch(code) else None


def digest(normalised):
    return hashlib.sha256(normalised.encode("ascii")).hexdigest()


def new_code():
    raw = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def regenerate(user):
    """Replace ``user``'s codes with ``COUNT`` new ones; returns them (the only time they exist in clear)."""
    codes = [new_code() for _ in range(COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, digest=digest(normalise(code))) for code in codes)
    return codes


def use(user, code):
    """True when ``code`` is one of ``user``'s unused codes, which is then used up (a write)."""
    normalised = normalise(code)
    if normalised is None:
        return False
    return bool(
        RecoveryCode.objects.filter(user=user, digest=digest(normalised), used_at=None).update(used_at=timezone.now())
    )


def remaining(user):
    return RecoveryCode.objects.filter(user=user, used_at=None).count()


def looks_like_recovery_code(code):
    return normalise(code) is not None
