"""
External identities: which local user a proxy's verified ``(issuer, subject)`` pair stands for.

The mapping is keyed on the stable subject, never on the email (emails change and get recycled).
A first-time identity is provisioned just in time: a new user with the ``user`` role, an unusable
password and the assertion's email. Provisioning never links to an existing account:

- If the email is already some local account's (caselessly, as sign-up decides), provisioning is
  refused (``IdentityConflict``; the request gets 401). An administrator who knows the account is the
  same person links it by adding an ``ExternalIdentity`` row in the admin.
- The username is the email itself when that is a valid, free username (letters, digits and
  ``@.+-_``), otherwise the email with every other character replaced by ``_``, cut to fit; a taken
  username gets a numeric suffix (``-2``, ``-3``, ...).
- Two concurrent first requests for one identity: the database's unique constraints let exactly
  one create the user; the other re-reads and gets the same user.
"""

import re

from django.conf import settings
from django.db import IntegrityError, models, transaction

from accounts.models import ExactCharField, User, held_role_ids, identity_key

MAX_USERNAME_ATTEMPTS = 20
_NOT_USERNAME_CHARS = re.compile(r"[^\w.@+-]")


class IdentityConflict(Exception):
    """A new identity's email belongs to an existing local account."""


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
            if User.objects.filter(email_key=identity_key(email)).exists():
                return self._concurrent_winner(assertion)
            if User.objects.filter(username_key=identity_key(username)).exists():
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
            raise IdentityConflict(assertion.email)
        return identity.user


def candidate_usernames(email):
    """Usernames to try for a new user with ``email``, best first."""
    max_length = User._meta.get_field("username").max_length
    base = _NOT_USERNAME_CHARS.sub("_", email)[: max_length - 4] or "user"
    yield base
    for n in range(2, MAX_USERNAME_ATTEMPTS + 1):
        yield f"{base}-{n}"


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
