"""
What authsite stores of passkeys: the credential (``Passkey``: its public key and sign counter,
never a secret) and the challenges of ceremonies under way (``PasskeyChallenge``).

A challenge is a row made by ``begin`` and deleted by ``complete`` (``PasskeyChallenge.objects
.consume``): the DELETE is what claims it, so of two concurrent completions with one challenge
exactly one gets it, and a replayed response finds nothing. The row names the ceremony and, for a
registration (or a second-factor step), the user it was issued to.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def challenge_key(challenge: bytes) -> str:
    """
    The stored form of a challenge: base64url, as py_webauthn writes it. py_webauthn (with its
    CBOR, ASN.1 and pyOpenSSL stack, ~5 MiB) is imported here, by the first ceremony, not with
    the models: a process that runs none never loads it (BENCHMARKS.md, "Memory").
    """
    from webauthn.helpers import bytes_to_base64url

    return bytes_to_base64url(challenge)


def credential_key(credential_id: bytes) -> str:
    """The lookup key of a credential id: its SHA-256 (ids may be up to 1023 bytes, too long to index)."""
    return hashlib.sha256(credential_id).hexdigest()


class Passkey(models.Model):
    """A WebAuthn credential registered by ``user``: a public key, its counter, the user's name for it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=64)
    credential_id = models.TextField(help_text="base64url, as the browser reports it")
    credential_key = models.CharField(max_length=64, unique=True, editable=False)
    # The WebAuthn user.id given at registration (random, not the primary key: it is stored on the
    # authenticator and answered to any site that asks with our RP id).
    user_handle = models.CharField(max_length=86)
    public_key = models.BinaryField(help_text="COSE_Key")
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    aaguid = models.CharField(max_length=36, blank=True)
    backed_up = models.BooleanField(default=False, help_text="a synced (multi-device) passkey")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="passkey_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class ChallengeInvalid(Exception):
    """Unknown, already used, expired, or issued for another ceremony or user."""


class PasskeyChallengeManager(models.Manager):
    def issue(self, ceremony, user=None, user_handle=""):
        """
        A new random challenge (bytes) for ``ceremony``, bound to ``user`` if given (and, for a
        registration, the WebAuthn user handle the options gave); expired rows go.
        """
        now = timezone.now()
        self.filter(expires_at__lt=now).delete()
        challenge = secrets.token_bytes(32)
        self.create(
            challenge=challenge_key(challenge), ceremony=ceremony, user=user, user_handle=user_handle,
            expires_at=now + timedelta(seconds=settings.PASSKEY_CHALLENGE_TIMEOUT),
        )
        return challenge

    def consume(self, challenge, ceremony, user=None):
        """
        Claim ``challenge`` (bytes) for ``ceremony`` and ``user`` (None: a challenge bound to no
        user), once: its row; ``ChallengeInvalid`` if unknown, used, expired or bound otherwise.
        """
        row = self.filter(challenge=challenge_key(challenge)).first()
        if row is None or not self.filter(pk=row.pk).delete()[0]:
            raise ChallengeInvalid("unknown or used")
        if row.ceremony != ceremony or row.user_id != (user.pk if user is not None else None):
            raise ChallengeInvalid("issued for another ceremony or user")
        if row.expires_at <= timezone.now():
            raise ChallengeInvalid("expired")
        return row


class PasskeyChallenge(models.Model):
    REGISTRATION = "registration"
    AUTHENTICATION = "authentication"

    challenge = models.CharField(max_length=64, unique=True)
    ceremony = models.CharField(max_length=16, choices=[(REGISTRATION, REGISTRATION), (AUTHENTICATION, AUTHENTICATION)])
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    user_handle = models.CharField(max_length=86, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = PasskeyChallengeManager()
