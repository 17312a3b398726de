"""
Refresh-token rotation (JWT_ROTATE_REFRESH_TOKENS=1): a new refresh token per refresh, the previous
one accepted only within JWT_ROTATION_GRACE_SECONDS, its reuse afterwards revoking the session.
"""

import logging
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import RetiredRefreshToken, Session
from accounts.tokens import refresh_token_digest
from tests.conftest import concurrently

NOT_IN_DATABASE = {"message": "Refresh token is not in database!"}

rotating = override_settings(JWT_ROTATE_REFRESH_TOKENS=True, JWT_ROTATION_GRACE_SECONDS=30)


def refresh(api, refresh_token):
    return api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")


def age_retired_tokens(seconds):
    RetiredRefreshToken.objects.update(retired_at=timezone.now() - timedelta(seconds=seconds))


def test_without_rotation_the_same_refresh_token_comes_back(api, alice, signin):
    tokens = signin(alice)
    for _ in range(3):
        response = refresh(api, tokens["refreshToken"])
        assert response.status_code == 200
        assert response.json()["refreshToken"] == tokens["refreshToken"]
    assert not RetiredRefreshToken.objects.exists()


@rotating
def test_each_refresh_returns_a_new_refresh_token_that_works(api, alice, signin):
    token = signin(alice)["refreshToken"]
    seen = {token}
    for _ in range(3):
        response = refresh(api, token)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        token = response.json()["refreshToken"]
        assert token not in seen
        seen.add(token)
        assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=response.json()["accessToken"]).status_code == 200
    # Only digests are stored, of the current and the retired tokens.
    stored = set(Session.objects.values_list("token_digest", flat=True)) | set(
        RetiredRefreshToken.objects.values_list("token_digest", flat=True)
    )
    assert stored == {refresh_token_digest(raw) for raw in seen}


@rotating
def test_the_previous_token_inside_the_grace_window_gets_the_same_successor(api, alice, signin):
    first = signin(alice)["refreshToken"]
    second = refresh(api, first).json()["refreshToken"]
    again = refresh(api, first)  # a second tab, a moment later
    assert again.status_code == 200
    assert again.json()["refreshToken"] == second
    assert refresh(api, second).status_code == 200


@rotating
def test_reuse_after_the_grace_window_revokes_the_whole_family(api, alice, signin, caplog):
    tokens = signin(alice)
    first = tokens["refreshToken"]
    second = refresh(api, first).json()
    age_retired_tokens(31)
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        response = refresh(api, first)
    assert (response.status_code, response.json()) == (403, NOT_IN_DATABASE)
    # The family is gone: the newest refresh token and every access token of the session.
    assert refresh(api, second["refreshToken"]).json() == NOT_IN_DATABASE
    for access in (tokens["accessToken"], second["accessToken"]):
        assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=access).status_code == 401
    [record] = [r for r in caplog.records if "refresh_token_reuse" in r.getMessage()]
    assert first not in record.getMessage() and second["refreshToken"] not in record.getMessage()
    assert f'"session": {Session.objects.get().pk}' in record.getMessage()


@rotating
def test_reuse_of_an_older_ancestor_is_detected_too(api, alice, signin):
    first = signin(alice)["refreshToken"]
    second = refresh(api, first).json()["refreshToken"]
    third = refresh(api, second).json()["refreshToken"]
    age_retired_tokens(31)
    assert refresh(api, first).json() == NOT_IN_DATABASE
    assert refresh(api, third).json() == NOT_IN_DATABASE


@rotating
def test_reuse_does_not_touch_the_users_other_sessions(api, alice, signin):
    stolen = signin(alice)["refreshToken"]
    other = signin(alice)["refreshToken"]
    refresh(api, stolen)
    age_retired_tokens(31)
    refresh(api, stolen)
    assert refresh(api, other).status_code == 200


@rotating
def test_rotation_never_extends_the_sessions_lifetime(api, alice, signin):
    token = signin(alice)["refreshToken"]
    expires_at = Session.objects.get().expires_at
    for _ in range(3):
        token = refresh(api, token).json()["refreshToken"]
    assert Session.objects.get().expires_at == expires_at
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(api, token)
    assert response.status_code == 403
    assert response.json() == {"message": "Refresh token was expired. Please make a new signin request"}


@rotating
def test_a_retired_token_of_a_signed_out_session_is_refused_without_500(api, alice, signin):
    first = signin(alice)["refreshToken"]
    second = refresh(api, first).json()["refreshToken"]
    api.post("/api/auth/signout", {"refreshToken": second}, format="json")
    assert refresh(api, first).json() == NOT_IN_DATABASE


@rotating
@pytest.mark.parametrize("age", [0, 31])
def test_signout_with_a_retired_token_ends_its_session(api, alice, signin, age):
    """Signing out with the token a tab still holds ends the session, inside the grace window or after."""
    tokens = signin(alice)
    first = tokens["refreshToken"]
    second = refresh(api, first).json()
    age_retired_tokens(age)
    response = api.post("/api/auth/signout", {"refreshToken": first}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "You've been signed out!"})
    assert refresh(api, second["refreshToken"]).json() == NOT_IN_DATABASE
    for access in (tokens["accessToken"], second["accessToken"]):
        assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=access).status_code == 401


@rotating
def test_signout_all_with_a_retired_token_of_a_live_session(api, alice, signin):
    first = signin(alice)["refreshToken"]
    other = signin(alice)
    refresh(api, first)
    api.post("/api/auth/signout", {"refreshToken": first, "all": True}, format="json")
    assert refresh(api, other["refreshToken"]).json() == NOT_IN_DATABASE


@rotating
def test_a_session_keeps_only_its_latest_retired_tokens(api, alice, signin, monkeypatch):
    """Rotation never grows the table without bound; the kept ones still detect reuse."""
    monkeypatch.setattr(RetiredRefreshToken, "KEPT_PER_SESSION", 3)
    other = signin(alice)["refreshToken"]
    refresh(api, other)  # another session's retired token is not this one's to drop
    tokens = [signin(alice)["refreshToken"]]
    for _ in range(6):
        tokens.append(refresh(api, tokens[-1]).json()["refreshToken"])
    session = Session.objects.get(token_digest=refresh_token_digest(tokens[-1]))
    kept = set(session.retired_tokens.values_list("token_digest", flat=True))
    assert kept == {refresh_token_digest(token) for token in tokens[-4:-1]}
    assert RetiredRefreshToken.objects.count() == 4
    age_retired_tokens(31)
    assert refresh(api, tokens[-4]).json() == NOT_IN_DATABASE  # kept: reuse revokes the session
    assert refresh(api, tokens[-1]).json() == NOT_IN_DATABASE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@rotating
def test_concurrent_refreshes_of_one_token_rotate_once(alice, signin):
    """Eight threads refresh one token at once: one rotation wins, all get the same successor."""
    token = signin(alice)["refreshToken"]
    results = [
        (response.status_code, response.json().get("refreshToken"))
        for response in concurrently(8, lambda _: refresh(APIClient(), token))
    ]
    assert len(results) == 8
    assert {status for status, _ in results} == {200}
    successors = {successor for _, successor in results}
    assert len(successors) == 1 and token not in successors
    assert RetiredRefreshToken.objects.count() == 1
    session = Session.objects.get()
    assert session.token_digest == refresh_token_digest(successors.pop())
    assert session.revoked_at is None
