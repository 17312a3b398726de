"""Admin: the "send password reset email" action, emailVerified listed and filterable, the outbox."""

import pytest

from accounts.models import User
from mail.models import OutboxMessage
from mail.outbox import enqueue

from .conftest import PASSWORD


@pytest.fixture
def staff_client(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    assert client.login(username="root", password=PASSWORD)
    return client


def test_send_password_reset_action(staff_client, make_user, smtp, run_mailworker):
    alice = make_user("alice")
    ghost = make_user("ghost", is_active=False)
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": "send_password_reset", "_selected_action": [alice.pk, ghost.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Queued a password reset email to 1 user(s). Skipped 1" in response.content.decode()
    assert list(OutboxMessage.objects.values_list("kind", "to")) == [("password_reset", "alice@example.com")]
    run_mailworker()
    assert [m["To"] for m in smtp.messages] == ["alice@example.com"]
    assert "/account/reset/" in smtp.messages[0].get_body(preferencelist=("plain",)).get_content()


def test_email_verified_is_listed_and_filterable(staff_client, make_user):
    make_user("verified")
    User.objects.filter(username="verified").update(email_verified=True)
    make_user("unverified")
    page = staff_client.get("/admin/accounts/user/?email_verified__exact=1").content.decode()
    assert ">verified<" in page and ">unverified<" not in page
    assert "email verified" in page.lower()


def test_outbox_shows_failures_and_retries_them(staff_client, make_user):
    alice = make_user("alice")
    row = enqueue("password_changed", alice.email, user=alice)
    OutboxMessage.objects.filter(pk=row.pk).update(status="failed", attempts=15, last_error="SMTPConnectError: down")
    page = staff_client.get("/admin/mail/outboxmessage/?status__exact=failed").content.decode()
    assert "alice@example.com" in page and "failed" in page
    assert "SMTPConnectError: down" in staff_client.get(f"/admin/mail/outboxmessage/{row.pk}/change/").content.decode()
    staff_client.post("/admin/mail/outboxmessage/", {"action": "retry_now", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)


def test_an_address_changed_in_the_admin_is_unverified(staff_client, make_user):
    alice = make_user("alice")
    User.objects.filter(pk=alice.pk).update(email_verified=True)
    page = staff_client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    form = {
        "username": "alice", "email": "alice@elsewhere.example", "email_verified": "on", "is_active": "on",
        "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00", "roles": [],
        "csrfmiddlewaretoken": "x",
    }
    assert "email_verified" in page
    # Changing the address without touching the box: it is unverified.
    response = staff_client.post(f"/admin/accounts/user/{alice.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    alice.refresh_from_db()
    assert (alice.email, alice.email_verified) == ("alice@elsewhere.example", False)
    # Ticking it with the change: the admin vouches for the address.
    form.update(email="alice@third.example")
    staff_client.post(f"/admin/accounts/user/{alice.pk}/change/", form)
    alice.refresh_from_db()
    assert (alice.email, alice.email_verified) == ("alice@third.example", True)
