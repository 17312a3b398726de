"""
Sessions: immediate revocation, the one-query budget, /api/auth/sessions, signout {"all": true},
the per-user cap, the purge command and the admin.

Every way a session ends makes its access tokens fail on the very next request (401
``Unauthorized!``) and its refresh token fail with 403 ``Refresh token is not in database!``.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import RetiredRefreshToken, Role, Session, User
from accounts.models.users import password_digest
from accounts.tokens import AccessToken
from proxyauth.models import ExternalIdentity
from proxyauth.profiles import IAP_ISSUER
from tests.proxy import ALICE_SUB, sign
from tests.proxy import HEADER as PROXY_HEADER

UNAUTHORIZED = {"message": "Unauthorized!"}
NOT_IN_DATABASE = {"message": "Refresh token is not in database!"}


def x_access_token(token):
    return {"HTTP_X_ACCESS_TOKEN": token}


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


HEADER_FORMS = [pytest.param(x_access_token, id="x-access-token"), pytest.param(bearer, id="bearer")]


def refresh(api, refresh_token):
    return api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")


def assert_session_dead(api, tokens):
    """The session of ``tokens`` (a signin body) is over, for both kinds of token."""
    response = api.get("/api/test/user", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, NOT_IN_DATABASE)


def assert_session_alive(api, tokens):
    assert api.get("/api/test/user", **x_access_token(tokens["accessToken"])).status_code == 200
    assert refresh(api, tokens["refreshToken"]).status_code == 200


# -- ending a session, every way -------------------------------------------------------------


def end_by_signout_refresh_token(api, user, tokens):
    api.post("/api/auth/signout", {"refreshToken": tokens["refreshToken"]}, format="json")


def end_by_signout_access_token(api, user, tokens):
    api.post("/api/auth/signout", **x_access_token(tokens["accessToken"]))


def end_by_delete_session(api, user, tokens):
    session_id = AccessToken(tokens["accessToken"])["sid"]
    response = api.delete(f"/api/auth/sessions/{session_id}", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (200, {"message": "Session revoked."})


def end_by_deactivation(api, user, tokens):
    user.is_active = False
    user.save()


def end_by_deactivation_update(api, user, tokens):
    # A bulk update bypasses save(): the is_active check in the session query still refuses.
    User.objects.filter(pk=user.pk).update(is_active=False)


def end_by_deletion(api, user, tokens):
    user.delete()


def end_by_password_set_elsewhere(api, user, tokens):
    # The admin's password form and `changepassword` end in set_password() + save().
    user.set_password("another horse 34")
    user.save()


def end_by_password_update(api, user, tokens):
    # A bulk update bypasses save() and every hook: the session's password digest stops matching.
    User.objects.filter(pk=user.pk).update(password=make_password("another horse 34"))


def end_by_expiry(api, user, tokens):
    Session.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))


def end_by_eviction(api, user, tokens):
    with override_settings(SESSIONS_PER_USER=1):
        Session.objects.start(user)


@pytest.mark.parametrize(
    "end",
    [
        end_by_signout_refresh_token,
        end_by_signout_access_token,
        end_by_delete_session,
        end_by_deactivation,
        end_by_deactivation_update,
        end_by_deletion,
        end_by_password_set_elsewhere,
        end_by_password_update,
        end_by_eviction,
    ],
)
def test_an_ended_session_fails_on_the_next_request(api, alice, signin, end):
    tokens = signin(alice)
    assert_session_alive(api, tokens)
    end(api, alice, tokens)
    assert_session_dead(api, tokens)


def test_an_expired_session_refuses_its_access_tokens_and_refresh_says_expired(api, alice, signin):
    tokens = signin(alice)
    end_by_expiry(api, alice, tokens)
    response = api.get("/api/test/user", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    response = refresh(api, tokens["refreshToken"])
    assert response.status_code == 403
    assert response.json() == {"message": "Refresh token was expired. Please make a new signin request"}


def test_ending_one_session_leaves_the_others_alive(api, alice, signin):
    first, second = signin(alice), signin(alice)
    end_by_signout_refresh_token(api, alice, first)
    assert_session_dead(api, first)
    assert_session_alive(api, second)


def test_deactivation_revokes_the_sessions_so_reactivation_does_not_revive_them(api, alice, signin):
    tokens = signin(alice)
    alice.is_active = False
    alice.save()
    alice.is_active = True
    alice.save()
    assert_session_dead(api, tokens)


def test_a_deleted_user_refreshing_gets_403_not_500(api, alice, signin):
    # simplejwt 5.5.1's TokenRefreshView answers 500 here; authsite's refresh must not.
    tokens = signin(alice)
    alice.delete()
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, NOT_IN_DATABASE)


@pytest.mark.parametrize("claims", [{"sid": None}, {"sid": "1"}, {"sid": 10**9}, {"id": 10**9}])
def test_an_access_token_naming_no_live_session_of_its_user_is_refused(api, alice, signin, claims):
    tokens = signin(alice)
    token = AccessToken(tokens["accessToken"])
    for claim, value in claims.items():
        if value is None:
            del token[claim]
        else:
            token[claim] = value
    response = api.get("/api/test/user", **x_access_token(str(token)))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_an_access_token_naming_another_users_session_is_refused(api, alice, make_user, signin):
    bob = make_user("bob")
    token = AccessToken(signin(alice)["accessToken"])
    token["sid"] = AccessToken(signin(bob)["accessToken"])["sid"]
    response = api.get("/api/test/user", **x_access_token(str(token)))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


# -- the query budget ------------------------------------------------------------------------


# The 200 cases: tests/test_content.py::test_query_count.


@pytest.mark.parametrize("header", HEADER_FORMS)
@pytest.mark.parametrize(
    "path, message",
    [("/api/test/mod", "Require Moderator Role!"), ("/api/test/admin", "Require Admin Role!")],
)
def test_a_refused_role_costs_one_query(
    api, alice, token_for, django_assert_num_queries, header, path, message
):
    token = token_for(alice)
    with django_assert_num_queries(1):
        response = api.get(path, **header(token))
    assert (response.status_code, response.json()) == (403, {"message": message})


def test_a_session_under_an_old_password_costs_one_query(api, alice, signin, django_assert_num_queries):
    tokens = signin(alice)
    end_by_password_update(api, alice, tokens)
    with django_assert_num_queries(1):
        response = api.get("/api/test/user", **bearer(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_revoked_session_costs_one_query(api, alice, signin, django_assert_num_queries):
    tokens = signin(alice)
    end_by_signout_refresh_token(api, alice, tokens)
    with django_assert_num_queries(1):
        response = api.get("/api/test/user", **bearer(tokens["accessToken"]))
    assert response.status_code == 401


def test_a_user_without_any_role_is_still_a_signed_in_user(api, make_user, token_for):
    token = token_for(make_user("norole", roles=[]))
    assert api.get("/api/test/user", **x_access_token(token)).status_code == 200
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 403


def revoke_with_command(user, role):
    call_command("roles", "revoke", user.username, role)


def revoke_in_admin(user, role):
    user.roles.remove(Role.objects.get(name=role))


def revoke_by_deleting_the_role(user, role):
    # No m2m signal fires for this one: a cached role list would miss it.
    Role.objects.filter(name=role).delete()


@pytest.mark.parametrize("revoke", [revoke_with_command, revoke_in_admin, revoke_by_deleting_the_role])
def test_a_removed_role_is_refused_on_the_next_request(api, moderator, token_for, revoke):
    token = token_for(moderator)
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    revoke(moderator, Role.MODERATOR)
    response = api.get("/api/test/mod", **x_access_token(token))
    assert (response.status_code, response.json()) == (403, {"message": "Require Moderator Role!"})


def test_a_granted_role_is_honoured_on_the_next_request(api, alice, token_for):
    token = token_for(alice)
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 403
    call_command("roles", "grant", "alice", "admin")
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 200


@pytest.mark.parametrize("name", ["a,b", "x:y", "1:admin", "ünï,cödé:", "%s"])
def test_any_role_name_is_read_back_exactly(api, make_user, token_for, name, django_assert_num_queries):
    """Role names made by the ORM or a fixture (the admin, loaddata) break nobody's requests."""
    odd = Role.objects.create(name=name)
    user = make_user("odd", roles=[Role.USER, Role.MODERATOR])
    user.roles.add(odd)
    token = token_for(user)
    assert api.get("/api/test/user", **x_access_token(token)).status_code == 200  # reads the new role
    with django_assert_num_queries(1):
        assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    response = api.get("/api/auth/me", **x_access_token(token))
    assert response.json()["roles"] == ["ROLE_USER", "ROLE_MODERATOR", f"ROLE_{name.upper()}"]


def test_a_renamed_role_reads_under_its_new_name_on_the_next_request(api, moderator, token_for):
    token = token_for(moderator)
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    role = Role.objects.get(name=Role.MODERATOR)
    role.name = "mods"
    role.save()  # as the admin does
    assert api.get("/api/auth/me", **x_access_token(token)).json()["roles"] == ["ROLE_USER", "ROLE_MODS"]
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 403


def test_a_user_holding_many_roles_is_read_in_full(api, make_user, token_for):
    """Role ids, not names, are aggregated: far from MySQL's group_concat_max_len (1024 bytes)."""
    many = Role.objects.bulk_create(Role(name=f"r{n:018d}") for n in range(120))
    user = make_user("many", roles=[Role.USER, Role.ADMIN])
    user.roles.add(*Role.objects.filter(name__startswith="r0"))
    token = token_for(user)
    roles = api.get("/api/auth/me", **x_access_token(token)).json()["roles"]
    assert len(roles) == 2 + len(many)
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 200


# -- GET /api/auth/sessions, DELETE /api/auth/sessions/<id> -----------------------------------


@pytest.mark.parametrize("path", ["/api/auth/sessions", "/api/auth/sessions/"])
def test_sessions_lists_the_callers_live_sessions(api, alice, make_user, signin, path, django_assert_num_queries):
    old = signin(alice, HTTP_USER_AGENT="OldBrowser/1.0")
    signed_out = signin(alice)
    end_by_signout_refresh_token(api, alice, signed_out)
    current = signin(alice, HTTP_USER_AGENT="NewBrowser/2.0")
    signin(make_user("bob"))
    refresh(api, old["refreshToken"])
    with django_assert_num_queries(2):  # authentication + the list
        response = api.get(path, **bearer(current["accessToken"]))
    assert response.status_code == 200
    assert response["Cache-Control"].count("no-store") == 1
    body = response.json()
    current_id = AccessToken(current["accessToken"])["sid"]
    old_id = AccessToken(old["accessToken"])["sid"]
    assert [item["id"] for item in body] == [current_id, old_id]
    assert [item["current"] for item in body] == [True, False]
    assert [item["userAgent"] for item in body] == ["NewBrowser/2.0", "OldBrowser/1.0"]
    old_row = Session.objects.get(pk=old_id)
    assert body[1]["lastUsedAt"] > body[1]["createdAt"]
    assert body[1]["lastUsedAt"].startswith(old_row.last_used_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert set(body[0]) == {"id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "current"}


def test_a_user_agent_with_nul_characters_is_stored_without_them(api, alice, signin):
    """PostgreSQL's text columns refuse NUL (sign-in answered 500 there); stored alike on every backend."""
    signin(alice, HTTP_USER_AGENT="Odd\x00Agent/1.0\x00")
    assert Session.objects.get(user=alice).user_agent == "OddAgent/1.0"


def test_a_long_user_agent_is_cut_to_fit(api, alice, signin):
    signin(alice, HTTP_USER_AGENT="x" * 1000)
    assert Session.objects.get(user=alice).user_agent == "x" * Session.USER_AGENT_MAX_LENGTH


@pytest.mark.parametrize("path", ["/api/auth/sessions", "/api/auth/sessions/1", "/api/auth/me"])
def test_session_endpoints_need_a_token(api, db, path):
    method = api.delete if path.endswith("/1") else api.get
    response = method(path)
    assert (response.status_code, response.json()) == (403, {"message": "No token provided!"})


def test_deleting_another_users_session_is_404_and_leaves_it_alone(api, alice, make_user, signin):
    mine = signin(alice)
    theirs = signin(make_user("bob"))
    their_id = AccessToken(theirs["accessToken"])["sid"]
    response = api.delete(f"/api/auth/sessions/{their_id}/", **x_access_token(mine["accessToken"]))
    assert (response.status_code, response.json()) == (404, {"message": "Not found."})
    assert_session_alive(api, theirs)


@pytest.mark.parametrize("session_id", ["999999", "0", "1" * 30, "abc"])
def test_deleting_an_unknown_session_is_404(api, alice, signin, session_id):
    tokens = signin(alice)
    response = api.delete(f"/api/auth/sessions/{session_id}", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (404, {"message": "Not found."})


def test_deleting_an_already_revoked_session_is_404(api, alice, signin):
    mine, other = signin(alice), signin(alice)
    other_id = AccessToken(other["accessToken"])["sid"]
    path = f"/api/auth/sessions/{other_id}"
    assert api.delete(path, **x_access_token(mine["accessToken"])).status_code == 200
    assert api.delete(path, **x_access_token(mine["accessToken"])).status_code == 404
    assert_session_alive(api, mine)


# -- POST /api/auth/signout {"all": true} -----------------------------------------------------


@pytest.mark.parametrize("all_value", [True, "true", 1, "1"])
@pytest.mark.parametrize("credential", ["refresh", "access"])
def test_signout_all_revokes_every_session_of_the_caller(api, alice, make_user, signin, all_value, credential):
    sessions = [signin(alice) for _ in range(3)]
    bobs = signin(make_user("bob"))
    body = {"all": all_value}
    extra = {}
    if credential == "refresh":
        body["refreshToken"] = sessions[0]["refreshToken"]
    else:
        extra = x_access_token(sessions[0]["accessToken"])
    response = api.post("/api/auth/signout", body, format="json", **extra)
    assert (response.status_code, response.json()) == (200, {"message": "You've been signed out!"})
    for tokens in sessions:
        assert_session_dead(api, tokens)
    assert_session_alive(api, bobs)


@pytest.mark.parametrize("all_value", [False, "false", 0, None, "yes please", [1]])
def test_signout_without_all_true_revokes_only_the_given_session(api, alice, signin, all_value):
    first, second = signin(alice), signin(alice)
    response = api.post(
        "/api/auth/signout", {"refreshToken": first["refreshToken"], "all": all_value}, format="json"
    )
    assert response.status_code == 200
    assert_session_dead(api, first)
    assert_session_alive(api, second)


def test_signout_all_without_any_credential_revokes_nothing(api, alice, signin):
    tokens = signin(alice)
    response = api.post("/api/auth/signout", {"all": True}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "You've been signed out!"})
    assert_session_alive(api, tokens)


@pytest.mark.parametrize("end", ["signout", "expiry"])
def test_signout_all_with_a_dead_refresh_token_signs_nobody_out(api, alice, signin, end):
    """Only a live session's credential may end every session: not one found in old logs."""
    old = signin(alice)
    if end == "signout":
        api.post("/api/auth/signout", {"refreshToken": old["refreshToken"]}, format="json")
    else:
        Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    live = [signin(alice) for _ in range(2)]
    response = api.post("/api/auth/signout", {"refreshToken": old["refreshToken"], "all": True}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "You've been signed out!"})
    for tokens in live:
        assert_session_alive(api, tokens)


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


# -- callers identified by a proxy assertion (no sign-in session) -----------------------------



def test_a_proxy_identity_has_me_and_its_sessions_but_no_current_one(api, proxy_on, alice, signin):
    ExternalIdentity.objects.create(user=alice, provider=IAP_ISSUER, subject=ALICE_SUB)
    tokens = signin(alice)  # the same person also signed in with a password elsewhere
    me = api.get("/api/auth/me", **{PROXY_HEADER: sign()})
    assert (me.status_code, me.json()["id"]) == (200, alice.pk)
    sessions = api.get("/api/auth/sessions", **{PROXY_HEADER: sign()})
    assert sessions.status_code == 200
    assert [(item["id"], item["current"]) for item in sessions.json()] == [
        (AccessToken(tokens["accessToken"])["sid"], False)
    ]
    assert_session_alive(api, tokens)


def test_a_proxy_identity_cannot_change_a_password(api, proxy_on):
    response = api.post(
        "/api/auth/password",
        {"oldPassword": "whatever 123", "newPassword": "brand new horse 99"},
        format="json",
        **{PROXY_HEADER: sign()},
    )
    assert (response.status_code, response.json()) == (
        403,
        {"message": "Require a session: sign in with /api/auth/signin."},
    )
