"""
One-time codes: how the callback hands an opened session to the SPA without putting tokens in a
URL. The callback opens the session and puts a random code in ``next``'s fragment; ``POST
/api/auth/oidc/token`` trades it, once, within ``CODE_SECONDS``, for that session's tokens.

Only a digest of the code is stored; the session's refresh token is stored encrypted (AES-GCM)
under a key derived from the code, so the table alone gives nobody a session. A code presented a
second time revokes the session it opened (an intercepted code must not leave a live session
behind: RFC 6749 4.1.2's advice for authorization codes).
"""

import hashlib
import os
from datetime import timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import models
from django.utils import timezone

from accounts.models import Session

CODE_SECONDS = 60


def _derive(code, purpose):
    return hashlib.sha256(f"authsite.oidc.code.{purpose}:{code}".encode()).digest()


class CodeInvalid(Exception):
    """Unknown, expired or already used."""


class OneTimeCodeManager(models.Manager):
    def issue(self, session, refresh_token):
        code = os.urandom(32).hex()
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(_derive(code, "key")).encrypt(nonce, refresh_token.encode(), None)
        self.create(
            digest=_derive(code, "id").hex(), session=session, sealed_refresh_token=sealed.hex(),
            expires_at=timezone.now() + timedelta(seconds=CODE_SECONDS),
        )
        return code

    def redeem(self, code):
        """``(session, refresh token)`` for a valid ``code``; ``CodeInvalid`` otherwise."""
        if not isinstance(code, str) or len(code) != 64:
            raise CodeInvalid()
        row = self.select_related("session__user").filter(digest=_derive(code, "id").hex()).first()
        if row is None:
            raise CodeInvalid()
        now = timezone.now()
        # Conditional: of two concurrent redemptions exactly one claims the code.
        if not self.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now):
            if row.used_at is not None or self.filter(pk=row.pk, used_at__isnull=False).exists():
                Session.objects.filter(pk=row.session_id).revoke()
            raise CodeInvalid()
        session = row.session
        if session.is_revoked or session.is_expired or not session.user.is_active:
            raise CodeInvalid()
        sealed = bytes.fromhex(row.sealed_refresh_token)
        refresh_token = AESGCM(_derive(code, "key")).decrypt(sealed[:12], sealed[12:], None).decode()
        return session, refresh_token


class OneTimeCode(models.Model):
    digest = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    sealed_refresh_token = models.CharField(max_length=512)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = OneTimeCodeManager()
