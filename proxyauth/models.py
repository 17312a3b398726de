"""
External identities: which local user a proxy's verified ``(issuer, subject)`` pair stands for.

The mapping is keyed on the stable subject, never on the email (emails change and get recycled).
A first-time identity is provisioned just in time: a new user with the ``user`` role, an unusable
password and the assertion's email. Provisioning never links to an existing account:

- If the email is already some local account's (caselessly, as sign-up decides), provisioning is
  refused (``IdentityConflict``; the request gets 401). Anyone can sign up with anyone's address,
  so an account is only ever linked to an identity (by an administrator, in the admin) when its
  email is verified (``User.email_verified``: recovery's verification link or a reset).
- The username comes from a namespace sign-up cannot reach: it always contains ``@``
  (``PROXY_NAMESPACE_MARK``), which sign-up refuses. It is the email itself when that is a valid,
  free username (letters, digits and ``@.+-_``), otherwise the email with every other character
  replaced by ``_``, cut to fit; a taken one gets ``-2`` ... ``-20``, and after those a random
  suffix, so that no set of accounts made beforehand can lock a person out.
- Two concurrent first requests for one identity: the database's unique constraints let exactly
  one create the user; the other re-reads and gets the same user.
"""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from accounts.models import (
    PROXY_NAMESPACE_MARK,
    ExactCharField,
    User,
    held_role_ids,
    identity_key_fits,
)

MAX_USERNAME_ATTEMPTS = 20
_NOT_USERNAME_CHARS = re.compile(r"[^\w.@+-]")


class IdentityConflict(Exception):
    """A new identity's email belongs to an existing local account (``account``; None if unknown)."""

    def __init__(self, email, account=None):
        super().__init__(email)
        self.email = email
        self.account = account


class ExternalIdentityManager(models.Manager):
    def user_for(self, assertion):
        """
        The local user of a ``VerifiedAssertion``, created on first sight. A known identity costs
        one query, the user's roles included (as for authsite's own tokens).
        """
        identity = self._find(assertion)
        if identity is not None:
            return identity.user
        return self._provision(assertion)

    def _find(self, assertion):
        identity = (
            self.select_related("user")
            .filter(provider=assertion.provider, subject=assertion.subject)
            .annotate(role_ids=held_role_ids("user_id"))
            .first()
        )
        if identity is not None:
            identity.user.set_held_role_ids(identity.role_ids)
        return identity

    def _provision(self, assertion):
        email = assertion.email.strip()
        for username in candidate_usernames(email):
            if User.objects.with_email(email).exists():
                return self._concurrent_winner(assertion)
            if User.objects.with_username(username).exists():
                continue
            try:
                with transaction.atomic():
                    user = User.objects.create_user(username, email, None)
                    self.create(provider=assertion.provider, subject=assertion.subject, user=user)
                return user
            except IntegrityError:
                # Someone else won a race: for this identity (use theirs), for the email
                # (next loop) or for the username (try the next one).
                pass
        return self._concurrent_winner(assertion)

    def _concurrent_winner(self, assertion):
        """The user a concurrent request just provisioned for this identity; else a conflict."""
        identity = self._find(assertion)
        if identity is None:
            raise IdentityConflict(assertion.email, User.objects.with_email(assertion.email.strip()).first())
        return identity.user


def candidate_usernames(email):
    """
    Usernames to try for a new user with ``email``, best first: all contain ``@`` and fit the
    username column and its key column, suffix included, as stored (NFKC-normalised); the last
    one is unpredictable.
    """
    random_suffix = f"-{secrets.token_hex(4)}"
    # In the form create_user stores (NFKC, which can lengthen it: "ﬃ" is "ffi").
    base = _NOT_USERNAME_CHARS.sub("_", User.normalize_username(email))
    base = base[: User._meta.get_field("username").max_length - len(random_suffix)]
    while base and not identity_key_fits(base + random_suffix, "username_key"):
        base = base[:-1]  # characters that NFKC lengthens (U+FDFA is 18 characters)
    if PROXY_NAMESPACE_MARK not in base:
        base = base[:-1] + PROXY_NAMESPACE_MARK
    yield base
    for n in range(2, MAX_USERNAME_ATTEMPTS + 1):
        yield f"{base}-{n}"
    yield base + random_suffix


class ExternalIdentity(models.Model):
    """A proxy identity (``provider`` = the assertion's issuer, ``subject`` = its stable user id)."""

    provider = ExactCharField(max_length=255)
    subject = ExactCharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExternalIdentityManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="unique_external_identity")
        ]
        verbose_name_plural = "external identities"

    def __str__(self):
        return f"{self.subject} at {self.provider}"

    def clean(self):
        """
        An administrator may link an identity only to an account whose email is verified: an
        unverified one may belong to whoever signed up with the person's address.
        """
        super().clean()
        if self.user_id is None:
            return
        linking = self._state.adding or not ExternalIdentity.objects.filter(
            pk=self.pk, user_id=self.user_id
        ).exists()
        if linking and not self.user.email_verified:
            raise ValidationError({"user": UNVERIFIED_LINK})


UNVERIFIED_LINK = (
    "This account's email is not verified, so nothing shows it belongs to the person behind the "
    "identity: whoever signed up with that address controls the account. It cannot be linked."
)
