"""
Users: caseless unique names (their identity keys in exactly compared columns), roles held, and
what a session records of the password it was opened under (``password_digest``).
"""

import hashlib
from functools import cached_property

from asgiref.sync import sync_to_async
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Subquery

from ..expressions import GroupConcat, SHA256Hex
from .identity import ExactCharField, identity_key
from .roles import Role, authority, roles_by_id


def identity_key_fits(value, field_name):
    """
    Whether ``value``'s identity key fits User's ``field_name`` key column. NFKC can make a key
    many times longer than its value (U+FDFA is 18 characters), more than the key columns' room
    for three times the value; MySQL/MariaDB would refuse the row (DataError 1406, a 500).
    """
    return len(identity_key(value)) <= User._meta.get_field(field_name).max_length


def password_digest(password_hash):
    """
    The SHA-256 (hex) of a stored password hash (``User.password``): what a session records of the
    password it was opened under. Any change of the hash, from wherever (``set_password`` and
    ``save``, the admin, ``changepassword``, ``QuerySet.update(password=...)``), makes the
    user's older sessions stop matching, so they end with no hook and no write
    (``SessionQuerySet.live``). Unkeyed, unlike Django's ``get_session_auth_hash`` (an HMAC
    because it travels in a cookie): it never leaves the database, anyone who can read it can read
    the hash it is taken from, and the database must compute it too (``current_password_digest``)
    so that "live" stays one SQL condition.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()


def current_password_digest(password_field):
    """``password_digest`` of the password hash in ``password_field``, computed by the database."""
    return SHA256Hex(password_field)


def held_role_ids(user_id_field):
    """
    A subquery: the ids of the roles held by the user in ``user_id_field`` of the outer query, as
    ``"3,1"`` (NULL for none). Integers only, so no role name can break the parsing, and a few
    bytes per role (far from MySQL's ``group_concat_max_len``).
    """
    Membership = User.roles.through  # noqa: N806 (a model class)
    return Subquery(
        Membership.objects.filter(user_id=OuterRef(user_id_field))
        .values("user_id")
        .annotate(ids=GroupConcat("role_id"))
        .values("ids")
    )


class UserQuerySet(models.QuerySet):
    """The one place a name or an email is looked up, by identity key (caselessly)."""

    def with_username(self, username):
        return self.filter(username_key=identity_key(username))

    def with_email(self, email):
        return self.filter(email_key=identity_key(email))


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    def deconstruct(self):
        """Named by its public path (migrations say ``accounts.models.UserManager``)."""
        as_manager, _, queryset_class, args, kwargs = super().deconstruct()
        return as_manager, "accounts.models.UserManager", queryset_class, args, kwargs

    def get_by_natural_key(self, username):
        """Look a user up by identity key, so sign-in and the admin login are caseless too."""
        return self.with_username(username).get()

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
            UserRole = self.model.roles.through  # noqa: N806 (a model class)
            UserRole.objects.using(self._db).bulk_create(
                UserRole(user=user, role=role) for role in roles
            )
        return user

    async def _acreate_user(self, username, email, password, **extra_fields):
        """``acreate_user``'s hook: the same transaction as ``_create_user`` (roles included)."""
        return await sync_to_async(self._create_user)(username, email, password, **extra_fields)


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
    # True once the owner followed a link sent to ``email`` (recovery.emails): a verification or
    # email-change link, or a password reset link (which only that address received). A new
    # address starts unverified.
    email_verified = models.BooleanField("email verified", default=False)

    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    def save(self, *args, **kwargs):
        """
        Save, identity keys included; an inactive account has no live sessions, so their access
        tokens fail on the next request wherever the change comes from (the API, the admin).
        (A new password needs nothing here: sessions opened under the old one stop matching its
        ``password_digest``.)
        """
        self.set_identity_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"username", "email"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "username_key", "email_key"}
        existed = not self._state.adding
        super().save(*args, **kwargs)
        if existed and not self.is_active:
            self.sessions.revoke()

    def check_password(self, raw_password):
        """
        Django's check; when it re-hashes a correct password with the preferred hasher (an
        imported Node hash, new hasher parameters), the sessions opened under the old hash are
        re-keyed to the new one: the same password, so nobody is signed out by an upgrade.
        """
        old_hash = self.password
        valid = super().check_password(raw_password)
        if valid and self.password != old_hash:
            self.sessions.filter(password_digest=password_digest(old_hash)).update(
                password_digest=password_digest(self.password)
            )
        return valid

    async def acheck_password(self, raw_password):
        """``check_password`` (re-keying included), for async callers."""
        return await sync_to_async(self.check_password)(raw_password)

    def set_identity_keys(self):
        self.username_key = identity_key(self.username)
        self.email_key = identity_key(self.email) if self.email else None

    def clean(self):
        """Report caseless duplicates as field errors (forms and the admin call this)."""
        super().clean()
        others = User.objects.exclude(pk=self.pk)
        errors = {}
        for field, key_field in (("username", "username_key"), ("email", "email_key")):
            value = getattr(self, field)
            if value and not identity_key_fits(value, key_field):
                errors[field] = f"This {field} is too long once normalised (case and compatibility forms folded)."
        if errors:
            raise ValidationError(errors)
        if self.username and others.with_username(self.username).exists():
            errors["username"] = "A user with that username already exists."
        if self.email and others.with_email(self.email).exists():
            errors["email"] = "A user with that email address already exists."
        if errors:
            raise ValidationError(errors)

    @cached_property
    def roles_held(self):
        """``[(id, name), ...]`` of the roles the user holds now, in id order (one query)."""
        return list(self.roles.order_by("id").values_list("id", "name"))

    @property
    def role_names(self):
        return frozenset(name for _, name in self.roles_held)

    @property
    def authorities(self):
        """The roles as the clients see them (``ROLE_USER``, ...), in id order."""
        return [authority(name) for _, name in self.roles_held]

    def has_role(self, name):
        return name in self.role_names

    def hold_roles(self, role_ids):
        """Take the roles held from their ids (``accounts.queries.live_session``'s): no query."""
        self.roles_held = roles_by_id(role_ids)

    def set_held_role_ids(self, value):
        """Take the roles held from a ``held_role_ids`` column (``"3,1"`` or None): no query."""
        self.hold_roles(int(role_id) for role_id in (value or "").split(",") if role_id)
