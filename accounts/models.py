"""
Users, roles and sign-in sessions.

Usernames and emails are unique *caselessly*: ``Alice``, ``ALICE`` and the full-width ``ＡＬＩＣＥ``
are one name. Each is stored as given and again as its identity key (``identity_key``) in a column
with a unique constraint, compared byte for byte on every backend, so the database decides
uniqueness the same way on SQLite and on MySQL/MariaDB, and concurrent sign-ups cannot both win.
(MariaDB's default collations would also fold accents, ``josé`` = ``jose``; SQLite's would not
even fold case. The key columns use a binary collation on MySQL/MariaDB so neither applies.)
"""

import unicodedata
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from .tokens import generate_refresh_token, refresh_token_digest


def identity_key(value):
    """The caseless, compatibility-normalised form under which names are unique and looked up."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


class ExactCharField(models.CharField):
    """
    A CharField compared byte for byte on every backend: with the ``utf8mb4_bin`` collation on
    MySQL/MariaDB (whose default collations ignore case and accents), the default elsewhere.
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "mysql" and not self.db_collation:
            params["collation"] = "utf8mb4_bin"
        return params


class Role(models.Model):
    """A role. Rows 1 = user, 2 = moderator, 3 = admin are created by migration 0002."""

    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"

    name = models.CharField(max_length=20, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def authority(self):
        """The role as the clients see it: ``ROLE_USER``, ``ROLE_MODERATOR``, ``ROLE_ADMIN``."""
        return f"ROLE_{self.name.upper()}"


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        """Look a user up by identity key, so sign-in and the admin login are caseless too."""
        return self.get(username_key=identity_key(username))

    def _create_user(self, username, email, password, **extra_fields):
        """
        Create a user and its roles in one transaction (without ``roles``: the ``user`` role).
        The password is hashed before the transaction opens, so no lock is held while hashing.
        """
        roles = extra_fields.pop("roles", None)
        user = self._create_user_object(username, email, password, **extra_fields)
        with transaction.atomic(using=self._db):
            user.save(using=self._db)
            if roles is None:
                roles = Role.objects.using(self._db).filter(name=Role.USER)
            # Not roles.set(): on MySQL it inserts with INSERT IGNORE, which turns a failed
            # foreign key into a warning and would leave the user without that role.
            UserRole = self.model.roles.through
            UserRole.objects.using(self._db).bulk_create(
                UserRole(user=user, role=role) for role in roles
            )
        return user


class User(AbstractUser):
    username_validator = UnicodeUsernameValidator()

    username = ExactCharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
        validators=[username_validator],
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField("email address", max_length=254)
    # Identity keys: NFKC + casefold can triple a string's length, hence the sizes (both indexes
    # stay within InnoDB's 3072-byte key limit at 4 bytes per character).
    username_key = ExactCharField(max_length=450, unique=True, editable=False)
    email_key = ExactCharField(max_length=762, unique=True, null=True, editable=False)
    roles = models.ManyToManyField(Role, related_name="users", blank=True)

    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    def save(self, *args, **kwargs):
        self.set_identity_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"username", "email"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "username_key", "email_key"}
        super().save(*args, **kwargs)

    def set_identity_keys(self):
        self.username_key = identity_key(self.username)
        self.email_key = identity_key(self.email) if self.email else None

    def clean(self):
        """Report caseless duplicates as field errors (forms and the admin call this)."""
        super().clean()
        others = User.objects.exclude(pk=self.pk)
        errors = {}
        if self.username and others.filter(username_key=identity_key(self.username)).exists():
            errors["username"] = "A user with that username already exists."
        if self.email and others.filter(email_key=identity_key(self.email)).exists():
            errors["email"] = "A user with that email address already exists."
        if errors:
            raise ValidationError(errors)

    @cached_property
    def role_names(self):
        """The names of the roles the user holds now (one query, or none if prefetched)."""
        return frozenset(role.name for role in self.roles.all())

    def has_role(self, name):
        return name in self.role_names


class SessionQuerySet(models.QuerySet):
    def with_refresh_token(self, raw_token):
        return self.filter(token_digest=refresh_token_digest(raw_token))

    def revoke(self):
        """Revoke the sessions not revoked yet; returns how many."""
        return self.filter(revoked_at=None).update(revoked_at=timezone.now())


class SessionManager(models.Manager.from_queryset(SessionQuerySet)):
    def start(self, user):
        """Open a session for ``user``; returns ``(session, raw_refresh_token)``."""
        raw_token = generate_refresh_token()
        session = self.create(
            user=user,
            token_digest=refresh_token_digest(raw_token),
            expires_at=timezone.now() + settings.REFRESH_TOKEN_LIFETIME,
        )
        return session, raw_token


class Session(models.Model):
    """
    A sign-in session: what a refresh token stands for. Signing out revokes it; the refresh token
    then stops working. Access tokens name their session in the ``sid`` claim.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = SessionManager()

    class Meta:
        verbose_name = "sign-in session"

    def __str__(self):
        return f"session {self.pk} of {self.user_id}"

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()
