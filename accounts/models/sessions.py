"""
Sign-in sessions: what a refresh token stands for, its rotation and the retired tokens kept to
detect reuse.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from ..security import log_event
from ..tokens import generate_refresh_token, refresh_token_digest, successor_refresh_token
from .users import User, current_password_digest, password_digest


class SessionQuerySet(models.QuerySet):
    def with_refresh_token(self, raw_token):
        """The session of a refresh token: its current one, or one rotation retired."""
        digest = refresh_token_digest(raw_token)
        return self.filter(Q(token_digest=digest) | Q(retired_tokens__token_digest=digest))

    def live(self):
        """
        Sessions that are neither revoked nor expired, of active users, opened under their user's
        current password (``users.password_digest``). ``accounts.queries`` writes the same
        conditions as SQL for the hot path (tests/test_queries.py holds the two together).
        """
        return self.filter(
            revoked_at=None,
            expires_at__gt=timezone.now(),
            user__is_active=True,
            password_digest=current_password_digest("user__password"),
        )

    def revoke(self):
        """Revoke the sessions not revoked yet; returns how many."""
        return self.filter(revoked_at=None).update(revoked_at=timezone.now())

    def purgeable(self):
        """
        Sessions that can never be used again: revoked, expired, or opened under a password that
        is no longer their user's (a password hash never comes back: each one has its own salt).
        """
        return self.filter(
            Q(revoked_at__isnull=False)
            | Q(expires_at__lte=timezone.now())
            | ~Q(password_digest=current_password_digest("user__password"))
        )


class RefreshTokenReused(Exception):
    """A retired refresh token came back after the grace window; its session is now revoked."""


class SessionManager(models.Manager.from_queryset(SessionQuerySet)):
    def start(self, user, user_agent="", expires_at=None):
        """
        Open a session for ``user``; returns ``(session, raw_refresh_token)``. It lasts while the
        user's password stays ``user.password`` (so a caller that changes it first sets and saves
        it, then starts the session), and expires after
        ``REFRESH_TOKEN_LIFETIME``, or at ``expires_at`` (a session that replaces another). The
        user keeps at most ``SESSIONS_PER_USER`` session records: the oldest beyond that are deleted.
        """
        raw_token = generate_refresh_token()
        now = timezone.now()
        # Inside a caller's transaction (``accounts.signin.open_session``), no savepoint of its own:
        # nothing recovers from a half-opened session, and a savepoint costs two round trips.
        with transaction.atomic(using=self.db, savepoint=False):
            session = self.create(
                user=user,
                token_digest=refresh_token_digest(raw_token),
                password_digest=password_digest(user.password),
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

    def redeem_refresh_token(self, raw_token):
        """
        A client presents a refresh token: ``(session, is_current)``, or None if it is unknown. A
        retired token (rotation) is accepted within the grace window (``is_current`` False).
        Side effect: a retired token presented after that window is reuse, so the whole session
        is revoked (a write), the reuse logged, and ``RefreshTokenReused`` raised. For a lookup
        without effects, ``Session.objects.with_refresh_token``.
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
    deleted, its user inactive, or the user's password changed (``password_digest``: the SHA-256 of
    the password hash it was opened under; see ``users.password_digest``). Only the SHA-256 digest
    of the current refresh token is stored (and, under rotation, of the retired ones:
    ``RetiredRefreshToken``). ``last_used_at`` is the
    last refresh, None before the first (access-token requests do not write, to stay at one query).
    """

    USER_AGENT_MAX_LENGTH = 255

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    password_digest = models.CharField(max_length=64, editable=False)
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

    @property
    def last_active_at(self):
        """The last refresh; before the first, the sign-in."""
        return self.last_used_at or self.created_at

    @property
    def has_current_password(self):
        """Whether the session was opened under its user's current password (``live()``'s rule)."""
        return self.password_digest == password_digest(self.user.password)

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
