"""The outbox and its worker, against a real SMTP server (aiosmtpd): nothing lost in an outage."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from mail.config import email_settings
from mail.models import OutboxMessage
from mail.outbox import enqueue
from mail.worker import backoff

from .conftest import text_of


def make_due():
    OutboxMessage.objects.update(next_attempt_at=timezone.now())


def test_a_notice_is_sent_as_text_and_html(smtp, alice, run_mailworker, settings):
    settings.SITE_NAME = "Example Site"
    settings.DEFAULT_FROM_EMAIL = "Example <accounts@example.com>"
    enqueue("password_changed", alice.email, user=alice)
    assert smtp.messages == []  # queued, not sent
    assert run_mailworker() == 1
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    assert message["From"] == "Example <accounts@example.com>"
    assert message["Subject"] == "Example Site: your password was changed"
    assert "password of your Example Site account was changed" in text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<p>Hello alice,</p>" in html
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None
    assert run_mailworker() == 0  # sent once only


def test_an_outage_loses_nothing_and_backs_off(smtp, alice, run_mailworker):
    enqueue("password_changed", alice.email, user=alice)
    enqueue("password_changed", "second@example.com", user=alice)
    smtp.stop()
    before = timezone.now()
    assert run_mailworker() == 2
    first, second = OutboxMessage.objects.order_by("pk")
    # The first attempt failed; the second waits as long without counting an attempt.
    assert (first.status, first.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in first.last_error
    assert (second.status, second.attempts) == ("pending", 0)
    assert first.next_attempt_at >= before + timedelta(seconds=30)
    assert second.next_attempt_at == first.next_attempt_at
    assert run_mailworker() == 0  # not due yet: back-off
    # Still down at the next attempt: the wait doubles.
    make_due()
    run_mailworker()
    first.refresh_from_db()
    assert first.attempts == 2
    assert first.next_attempt_at >= timezone.now() + timedelta(seconds=59)
    # The server comes back: both go out.
    smtp.start()
    make_due()
    assert run_mailworker() == 2
    assert sorted(message["To"] for message in smtp.messages) == ["alice@example.com", "second@example.com"]
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_a_message_that_keeps_failing_is_marked_failed(smtp, alice, run_mailworker, settings):
    settings.MAIL_MAX_ATTEMPTS = 3
    enqueue("password_changed", alice.email, user=alice)
    smtp.stop()
    for _ in range(3):
        make_due()
        run_mailworker()
    row = OutboxMessage.objects.get()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error
    make_due()
    assert run_mailworker() == 0  # given up: not retried by itself


def test_an_unknown_kind_fails_its_row_only(smtp, alice, run_mailworker, settings):
    settings.MAIL_MAX_ATTEMPTS = 1
    enqueue("no-such-kind", alice.email)
    enqueue("password_changed", alice.email, user=alice)
    run_mailworker()
    assert dict(OutboxMessage.objects.values_list("kind", "status")) == {
        "no-such-kind": "failed",
        "password_changed": "sent",
    }
    assert "UnknownKind" in OutboxMessage.objects.get(kind="no-such-kind").last_error


def test_backoff_doubles_up_to_the_maximum(settings):
    settings.MAIL_RETRY_BASE_SECONDS, settings.MAIL_RETRY_MAX_SECONDS = 30, 3600
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 50)] == [30, 60, 120, 1920, 3600, 3600]


def test_mailworker_once_command(smtp, alice, capsys):
    enqueue("password_changed", alice.email, user=alice)
    call_command("mailworker", "--once")
    assert "1 message(s) handled." in capsys.readouterr().out
    assert len(smtp.messages) == 1


def test_mailworker_purges_old_delivered_rows(db, alice):
    from mail.worker import purge_delivered

    old = enqueue("password_changed", alice.email, user=alice)
    recent = enqueue("password_changed", alice.email, user=alice)
    pending = enqueue("password_changed", alice.email, user=alice)
    OutboxMessage.objects.filter(pk=old.pk).update(status="sent", sent_at=timezone.now() - timedelta(days=8))
    OutboxMessage.objects.filter(pk=recent.pk).update(status="sent", sent_at=timezone.now())
    assert purge_delivered(7) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, pending.pk}


@pytest.mark.parametrize(
    "url, expected",
    [
        ("", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        ("console:", {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}),
        (
            "smtp+tls://mailer%40example.com:p%40ss@smtp.example.com",
            {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": 587, "EMAIL_HOST_USER": "mailer@example.com",
             "EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False},
        ),
        ("smtps://smtp.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True}),
        ("smtp://localhost:2525", {"EMAIL_HOST": "localhost", "EMAIL_PORT": 2525, "EMAIL_USE_TLS": False}),
    ],
)
def test_email_url(url, expected):
    settings = email_settings(url)
    assert settings.items() >= expected.items()


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "smtp://host:notaport", "sendgrid://key"])
def test_a_bad_email_url_is_refused_naming_the_variable(url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings(url)


def test_the_password_in_email_url_is_not_in_the_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured) as error:
        email_settings("imap://user:s3cret@host")
    assert "s3cret" not in str(error.value)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_workers_send_each_message_once(smtp, make_user):
    from mail.worker import deliver_due

    from .conftest import concurrently

    alice = make_user("alice")
    for number in range(12):
        enqueue("password_changed", f"user{number}@example.com", user=alice)
    handled = concurrently(3, lambda _: sum(iter(lambda: deliver_due(limit=2), 0)))
    assert sum(handled) == 12
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"user{n}@example.com" for n in range(12))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
