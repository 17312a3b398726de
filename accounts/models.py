"""
Users, roles and sign-in sessions.

Usernames and emails are unique *caselessly*: ``Alice``, ``ALICE`` and the full-width ``ＡＬＩＣＥ``
are one name. Each is stored as given and again as its identity key (``identity_key``) in a column
with a unique constraint, compared exactly on every backend, so the database decides uniqueness
the same way on SQLite, MySQL/MariaDB and PostgreSQL, and concurrent sign-ups cannot both win.
(MariaDB's default collations would also fold accents, ``josé`` = ``jose``; SQLite's and
PostgreSQL's would not even fold case. The key columns use a binary collation on MySQL/MariaDB so
neither applies.)
"""

import logging
import unicodedata
from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .expressions import GroupConcat
from .security import log_event
from .tokens import generate_refresh_token, refresh_token_digest, successor_refresh_token


def identity_key(value):
    """The caseless, compatibility-normalised form under which names are unique and looked up."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


# Usernames containing "@" are the namespace of users provisioned by the sign-in proxy
# (proxyauth.models): sign-up refuses them, so nobody can take the name a future proxy user will
# get (and then be granted that person's roles by name).
PROXY_NAMESPACE_MARK = "@"


def email_verified(user):
    """
    Whether someone proved they own ``user``'s email. Nothing verifies emails yet, so no account
    qualifies; email verification plugs in here (an ``email_verified`` field on User). Only a
    verified email may ever tie a proxy identity to an existing account.
    """
    return bool(getattr(user, "email_verified", False))


def identity_key_fits(value, field_name):
    """
    Whether ``value``'s identity key fits User's ``field_name`` key column. NFKC can make a key
    many times longer than its value (U+FDFA is 18 characters), more than the key columns' room
    for three times the value; MySQL/MariaDB would refuse the row (DataError 1406, a 500).
    """
    return len(identity_key(value)) <= User._meta.get_field(field_name).max_length


class ExactCharField(models.CharField):
    """
    A CharField compared exactly on every backend: with the ``utf8mb4_bin`` collation on
    MySQL/MariaDB (whose default collations ignore case and accents), the default elsewhere
    (SQLite's BINARY; PostgreSQL's database collation, always deterministic: two strings that
    differ in any code point are never equal).
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
        return authority(self.name)


def authority(role_name):
    """A role as the clients see it: ``ROLE_USER``, ``ROLE_MODERATOR``, ``ROLE_ADMIN``."""
    return f"ROLE_{role_name.upper()}"


# The roles table, id -> name, as this process last read it. Authorization reads which roles a user
# holds fresh on every request (their ids); the names of the three fixed rows come from here.
_role_names = {}


@receiver([post_save, post_delete], sender=Role)
def forget_role_names(**kwargs):
    global _role_names
    _role_names = {}


def load_role_names():
    """Read the roles table (one query); a process does so once, and again after a role changes."""
    global _role_names
    _role_names = dict(Role.objects.values_list("id", "name"))
    return _role_names


def roles_by_id(role_ids):
    """``[(id, name), ...]`` in id order for ``role_ids``; reads the roles table when one is new."""
    role_ids = sorted(set(role_ids))
    names = _role_names
    if not names.keys() >= set(role_ids):
        names = load_role_names()
    return [(role_id, names[role_id]) for role_id in role_ids if role_id in names]


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
            UserRole = self.model.roles.through  # noqa: N806 (a model class)
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
    # True once the owner followed a link sent to ``email`` (recovery.emails): a verification or
    # email-change link, or a password reset link (which only that address received). A new
    # address starts unverified.
    email_verified = models.BooleanField("email verified", default=False)

    REQUIRED_FIELDS = ["email"]

    objects = UserManager()

    # The session ``set_password`` + ``save`` leave alive (the one changing its password).
    keep_session_id = None

    def save(self, *args, **kwargs):
        """
        Save; a new password (``set_password``) revokes every session but ``keep_session_id``, and
        an inactive account has no live sessions, so their access tokens fail on the next request
        wherever the change comes from (the API, the admin, ``changepassword``).
        """
        self.set_identity_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"username", "email"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "username_key", "email_key"}
        existed = not self._state.adding
        password_changed = existed and self._password is not None
        super().save(*args, **kwargs)
        if password_changed:
            revoked = self.sessions.exclude(pk=self.keep_session_id).revoke()
            log_event("password_changed", user=self.pk, sessions_revoked=revoked, level=logging.INFO)
        elif existed and not self.is_active:
            self.sessions.revoke()

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
        if self.username and others.filter(username_key=identity_key(self.username)).exists():
            errors["username"] = "A user with that username already exists."
        if self.email and others.filter(email_key=identity_key(self.email)).exists():
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

    def set_held_role_ids(self, value):
        """Take the roles held from a ``held_role_ids`` column (``"3,1"`` or None): no query."""
        self.roles_held = roles_by_id(int(role_id) for role_id in (value or "").split(",") if role_id)


class SessionQuerySet(models.QuerySet):
    def with_refresh_token(self, raw_token):
        """The session of a refresh token: its current one, or one rotation retired."""
        digest = refresh_token_digest(raw_token)
        return self.filter(Q(token_digest=digest) | Q(retired_tokens__token_digest=digest))

    def live(self):
        """Sessions that are neither revoked nor expired, of active users."""
        return self.filter(revoked_at=None, expires_at__gt=timezone.now(), user__is_active=True)

    def revoke(self):
        """Revoke the sessions not revoked yet; returns how many."""
        return self.filter(revoked_at=None).update(revoked_at=timezone.now())

    def purgeable(self):
        """Sessions that can never be used again: revoked or expired."""
        return self.filter(Q(revoked_at__isnull=False) | Q(expires_at__lte=timezone.now()))


class RefreshTokenReused(Exception):
    """A retired refresh token came back after the grace window; its session is now revoked."""


class SessionManager(models.Manager.from_queryset(SessionQuerySet)):
    def start(self, user, user_agent="", expires_at=None):
        """
        Open a session for ``user``; returns ``(session, raw_refresh_token)``. It expires after
        ``REFRESH_TOKEN_LIFETIME``, or at ``expires_at`` (a session that replaces another). The
        user keeps at most ``SESSIONS_PER_USER`` session records: the oldest beyond that are deleted.
        """
        raw_token = generate_refresh_token()
        now = timezone.now()
        with transaction.atomic(using=self.db):
            session = self.create(
                user=user,
                token_digest=refresh_token_digest(raw_token),
                expires_at=expires_at or now + settings.REFRESH_TOKEN_LIFETIME,
                user_agent=user_agent[: Session.USER_AGENT_MAX_LENGTH],
            )
            evicted = list(
                self.filter(user=user)
                .order_by("-created_at", "-pk")
                .values_list("pk", flat=True)[settings.SESSIONS_PER_USER :]
            )
            if evicted:
                self.filter(pk__in=evicted).delete()
        return session, raw_token

    def for_refresh_token(self, raw_token):
        """
        ``(session, is_current)`` for a refresh token, or None if it is unknown. A retired token
        (rotation) is accepted within the grace window (``is_current`` False); after it the whole
        session is revoked, the reuse logged, and ``RefreshTokenReused`` raised.
        """
        digest = refresh_token_digest(raw_token)
        session = self.select_related("user").filter(token_digest=digest).first()
        if session is not None:
            return session, True
        retired = (
            RetiredRefreshToken.objects.select_related("session__user")
            .filter(token_digest=digest)
            .first()
        )
        if retired is None:
            return None
        session = retired.session
        grace = timedelta(seconds=settings.JWT_ROTATION_GRACE_SECONDS)
        if session.revoked_at is None and retired.retired_at + grace < timezone.now():
            Session.objects.filter(pk=session.pk).revoke()
            log_event("refresh_token_reuse", user=session.user_id, session=session.pk)
            raise RefreshTokenReused()
        return session, False


class Session(models.Model):
    """
    A sign-in session: what a refresh token stands for (one token family under rotation). Access
    tokens name their session in the ``sid`` claim and fail as soon as it is revoked, expired or
    deleted, or its user inactive. Only the SHA-256 digest of the current refresh token is stored
    (and, under rotation, of the retired ones: ``RetiredRefreshToken``). ``last_used_at`` is the
    last refresh, None before the first (access-token requests do not write, to stay at one query).
    """

    USER_AGENT_MAX_LENGTH = 255

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True, default="")

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

    def touch(self):
        """Record a refresh."""
        self.last_used_at = timezone.now()
        Session.objects.filter(pk=self.pk).update(last_used_at=self.last_used_at)

    def rotate(self, raw_token):
        """
        Replace the refresh token ``raw_token`` (the current one) with its successor and return
        the successor. Race-free: of concurrent rotations of one token exactly one updates the
        row (a conditional UPDATE); the others find the token already retired and get the same
        successor. The absolute lifetime (``expires_at``) never moves. The session keeps the
        digests of its ``RetiredRefreshToken.KEPT_PER_SESSION`` latest retired tokens.
        """
        new_token = successor_refresh_token(raw_token)
        now = timezone.now()
        with transaction.atomic():
            won = Session.objects.filter(
                pk=self.pk, token_digest=refresh_token_digest(raw_token), revoked_at=None
            ).update(token_digest=refresh_token_digest(new_token), last_used_at=now)
            if won:
                RetiredRefreshToken.objects.create(
                    session=self, token_digest=refresh_token_digest(raw_token), retired_at=now
                )
                dropped = list(
                    self.retired_tokens.order_by("-retired_at", "-pk").values_list("pk", flat=True)[
                        RetiredRefreshToken.KEPT_PER_SESSION :
                    ]
                )
                if dropped:
                    RetiredRefreshToken.objects.filter(pk__in=dropped).delete()
        self.last_used_at = now
        return new_token


class RetiredRefreshToken(models.Model):
    """
    A refresh token replaced by rotation, kept (as a digest) to detect its reuse. A session keeps
    its ``KEPT_PER_SESSION`` latest ones (rotation drops older ones), and they go with it. They are
    not purged after the grace window: presenting one after it is exactly the reuse that revokes
    the session. 100 covers a whole default session (a day of refreshes every 15 minutes); a
    client refreshing faster loses detection for its oldest tokens instead of growing the table.
    """

    KEPT_PER_SESSION = 100

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="retired_tokens")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    retired_at = models.DateTimeField()

    def __str__(self):
        return f"retired refresh token of {self.session}"
