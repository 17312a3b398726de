"""
Sessions kept in bounds: the per-user cap, the ``purgesessions`` command (batched), and the admin's
view and revocation of sessions.
"""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import RetiredRefreshToken, Session
from accounts.models.users import password_digest
from accounts.tokens import AccessToken
from tests.sessions import (
    assert_session_alive,
    assert_session_dead,
)

# -- per-user cap and purge ------------------------------------------------------------------


@override_settings(SESSIONS_PER_USER=3)
def test_a_user_keeps_at_most_the_cap_of_sessions_oldest_evicted(api, alice, make_user, signin):
    bobs = signin(make_user("bob"))
    sessions = [signin(alice) for _ in range(5)]
    assert Session.objects.filter(user=alice).count() == 3
    for tokens in sessions[:2]:
        assert_session_dead(api, tokens)
    for tokens in sessions[2:]:
        assert_session_alive(api, tokens)
    assert_session_alive(api, bobs)


def test_purgesessions_deletes_revoked_expired_and_old_password_sessions_only(alice, capsys):
    live, _ = Session.objects.start(alice)
    revoked, _ = Session.objects.start(alice)
    expired, _ = Session.objects.start(alice)
    old_password, _ = Session.objects.start(alice)
    Session.objects.filter(pk=revoked.pk).revoke()
    Session.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    Session.objects.filter(pk=old_password.pk).update(password_digest=password_digest("an old hash"))
    RetiredRefreshToken.objects.create(session=revoked, token_digest="0" * 64, retired_at=timezone.now())
    call_command("purgesessions")
    assert capsys.readouterr().out.splitlines()[0] == "Purged 3 session(s)."
    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]
    assert not RetiredRefreshToken.objects.exists()


def test_purgesessions_deletes_in_batches(alice, capsys):
    live, _ = Session.objects.start(alice)
    for _ in range(5):
        Session.objects.filter(pk=Session.objects.start(alice)[0].pk).revoke()
    with CaptureQueriesContext(connection) as queries:
        call_command("purgesessions", "--batch-size", "2")
    assert capsys.readouterr().out.splitlines()[0] == "Purged 5 session(s)."
    assert list(Session.objects.values_list("pk", flat=True)) == [live.pk]
    session_table = Session._meta.db_table
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE") and session_table in q["sql"].split("WHERE")[0]]
    assert len(deletes) == 3  # 2 + 2 + 1


def test_purgesessions_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match="--batch-size must be at least 1."):
        call_command("purgesessions", "--batch-size", "0")


# -- admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


def test_the_admin_shows_a_users_sessions(admin_client, alice, signin):
    signin(alice, HTTP_USER_AGENT="AgentOfAlice/7")
    response = admin_client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert response.status_code == 200
    assert b"AgentOfAlice/7" in response.content
    assert Session.objects.get(user=alice).token_digest.encode() not in response.content


def test_the_admin_revokes_all_sessions_of_the_selected_users(api, admin_client, alice, make_user, signin):
    bob, carol = make_user("bob"), make_user("carol")
    alices, bobs, carols = signin(alice), signin(bob), signin(carol)
    response = admin_client.post(
        "/admin/accounts/user/",
        {"action": "revoke_all_sessions", "_selected_action": [alice.pk, bob.pk]},
    )
    assert response.status_code == 302
    assert_session_dead(api, alices)
    assert_session_dead(api, bobs)
    assert_session_alive(api, carols)


def test_the_admin_revokes_selected_sessions(api, admin_client, alice, signin):
    first, second = signin(alice), signin(alice)
    first_id = AccessToken(first["accessToken"])["sid"]
    response = admin_client.post(
        "/admin/accounts/session/", {"action": "revoke_sessions", "_selected_action": [first_id]}
    )
    assert response.status_code == 302
    assert_session_dead(api, first)
    assert_session_alive(api, second)
