"""
The second factor's records: a user's TOTP authenticator (``TOTPDevice``), the recovery codes
(``RecoveryCode``) and the sign-ins waiting for their second step (``PendingSignin``, the
``mfaToken`` and the setup token). Every "use once" rule is a conditional UPDATE or DELETE on
these rows, so two concurrent requests with the same code or token cannot both pass.
"""

from django.conf import settings
from django.db import models


class TOTPDevice(models.Model):
    """
    A user's authenticator app (RFC 6238: SHA-1, 6 digits, 30 s). ``encrypted_secret`` is the
    base32 secret under ``mfa.encryption``. Unconfirmed (``confirmed_at`` None) while being set up;
    only a confirmed device is a second factor. ``last_used_step`` is the highest time step a
    code was accepted for: a code is accepted only for a later step (replay refused).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    encrypted_secret = models.TextField(editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=-1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "TOTP authenticator"

    def __str__(self):
        state = "enabled" if self.confirmed_at else "being set up"
        return f"authenticator of {self.user} ({state})"


class RecoveryCode(models.Model):
    """A single-use recovery code, stored as the SHA-256 digest of its 80 random bits."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"recovery code of {self.user_id}"


class PendingSignin(models.Model):
    """
    A password step that passed and waits for its second step: the ``mfaToken`` (``SIGNIN``,
    redeemed by a code), or the restricted setup token of a user who must first set a factor up
    (``SETUP``). Only the token's SHA-256 digest is stored. It is bound to the password that
    passed (``password_digest``: a password change kills it) and dies at ``expires_at`` or when
    redeemed (the row is deleted: single use).
    """

    class Purpose(models.TextChoices):
        SIGNIN = "signin", "second sign-in step"
        SETUP = "setup", "second factor setup"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    password_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "pending sign-in"

    def __str__(self):
        return f"{self.purpose} token of {self.user_id}"
