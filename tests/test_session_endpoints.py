"""
The caller's sessions: ``GET /api/auth/sessions``, ``DELETE /api/auth/sessions/<id>``,
``POST /api/auth/signout {"all": true}``, and callers identified by a proxy assertion (no session).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Session
from accounts.tokens import AccessToken
from proxyauth.models import ExternalIdentity
from proxyauth.profiles import IAP_ISSUER
from tests.proxy import ALICE_SUB, sign
from tests.proxy import HEADER as PROXY_HEADER
from tests.sessions import (
    assert_session_alive,
    assert_session_dead,
    bearer,
    end_by_signout_refresh_token,
    refresh,
    x_access_token,
)

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
