"""
Draining the outbox.

``deliver_due`` claims due rows, composes and sends each through Django's configured backend, and
records the outcome. A claim moves the row's ``next_attempt_at`` one lease ahead (under
``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it, MariaDB 10.6+ and PostgreSQL;
SQLite's IMMEDIATE transactions serialise the claims), so concurrent workers never send a row
twice, no transaction stays open while SMTP talks, and a worker that dies mid-send only delays
its rows by the lease. A failed send is retried with exponential back-off
(``MAIL_RETRY_BASE_SECONDS`` doubling up to ``MAIL_RETRY_MAX_SECONDS``); after
``MAIL_MAX_ATTEMPTS`` the row is ``failed``. When the server cannot be reached at all, the rest of
the batch is put back untouched (not counted as attempts) for the same retry time.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from .composers import compose
from .models import OutboxMessage

logger = logging.getLogger("authsite.mail")

LEASE = timedelta(minutes=5)
# Errors that say the mail server is unreachable (not that this one message is refused).
UNREACHABLE = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError)


def backoff(attempts):
    """The wait after the ``attempts``-th failed attempt."""
    seconds = settings.MAIL_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(seconds, settings.MAIL_RETRY_MAX_SECONDS))


def claim(limit):
    """Claim up to ``limit`` due rows for this worker (one lease); returns them, oldest first."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return list(OutboxMessage.objects.filter(pk__in=ids).select_related("user").order_by("pk"))


def record(message, **fields):
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)


def deliver_due(limit=50):
    """Send what is due; returns how many rows were handled (sent, skipped or failed an attempt)."""
    messages = claim(limit)
    if not messages:
        return 0
    connection = get_connection()
    try:
        for index, message in enumerate(messages):
            retry_at = deliver(message, connection)
            if retry_at is not None:
                # The server is unreachable: the rest wait as long as this one, uncounted.
                rest = [other.pk for other in messages[index + 1 :]]
                OutboxMessage.objects.filter(pk__in=rest).update(next_attempt_at=retry_at)
                break
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection
            pass
    return len(messages)


def deliver(message, connection):
    """Compose and send one row; when the mail server could not be reached, the retry time."""
    now = timezone.now()
    try:
        email = compose(message)
        if email is None:
            record(message, status=OutboxMessage.Status.SKIPPED, sent_at=now, last_error="")
            return None
        email.connection = connection
        email.send()
    except Exception as exc:  # any failure is recorded and retried
        attempts = message.attempts + 1
        error = f"{type(exc).__name__}: {exc}"[:2000]
        retry_at = now + backoff(attempts)
        if attempts >= settings.MAIL_MAX_ATTEMPTS:
            record(message, attempts=attempts, status=OutboxMessage.Status.FAILED, last_error=error)
            logger.error(
                "Mail %s (%s) failed for good after %d attempts: %s", message.pk, message.kind, attempts, error
            )
        else:
            record(message, attempts=attempts, next_attempt_at=retry_at, last_error=error)
            logger.warning("Mail %s (%s) attempt %d failed, will retry: %s", message.pk, message.kind, attempts, error)
        # Unreachable server: release the connection, so the next attempt reconnects.
        try:
            connection.close()
        except Exception:
            pass
        return retry_at if isinstance(exc, UNREACHABLE) else None
    record(message, attempts=message.attempts + 1, status=OutboxMessage.Status.SENT, sent_at=now, last_error="")
    logger.info("Mail %s (%s) sent", message.pk, message.kind)
    return None


def purge_delivered(days):
    """Delete rows sent or skipped more than ``days`` ago (they hold addresses); returns how many."""
    cutoff = timezone.now() - timedelta(days=days)
    done = [OutboxMessage.Status.SENT, OutboxMessage.Status.SKIPPED]
    return OutboxMessage.objects.filter(status__in=done, sent_at__lt=cutoff).delete()[0]
