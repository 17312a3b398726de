"""POST /api/auth/password: {oldPassword, newPassword}."""

import json
import logging
from urllib.parse import urlencode

import pytest

from accounts.models import Session, User
from accounts.tokens import AccessToken
from tests.conftest import PASSWORD

NEW_PASSWORD = "brand new horse 99"
PATH = "/api/auth/password"


def change(api, access_token, body, fmt="json"):
    return api.post(PATH, body, format=fmt, HTTP_X_ACCESS_TOKEN=access_token)


def refresh(api, refresh_token):
    return api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")


@pytest.mark.parametrize("path", [PATH, PATH + "/"])
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_password_change_keeps_only_the_current_session_with_fresh_tokens(
    api, alice, signin, path, content_type
):
    current, other = signin(alice), signin(alice)
    fields = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    data = json.dumps(fields) if content_type == "application/json" else urlencode(fields)
    response = api.generic(
        "POST", path, data, content_type=content_type, HTTP_X_ACCESS_TOKEN=current["accessToken"]
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["message"] == "Password changed successfully!"
    assert body["tokenType"] == "Bearer"
    assert "no-store" in response["Cache-Control"]
    # A new session takes the current one's place, with its absolute expiry; the old one is over,
    # so a stolen access token of it dies with the password.
    old_sid, new_sid = AccessToken(current["accessToken"])["sid"], AccessToken(body["accessToken"])["sid"]
    assert new_sid != old_sid
    assert Session.objects.get(pk=new_sid).expires_at == Session.objects.get(pk=old_sid).expires_at
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=body["accessToken"]).status_code == 200
    assert refresh(api, body["refreshToken"]).status_code == 200
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=current["accessToken"]).json() == {"message": "Unauthorized!"}
    assert refresh(api, current["refreshToken"]).json() == {"message": "Refresh token is not in database!"}
    # Every other session is over.
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=other["accessToken"]).status_code == 401
    assert refresh(api, other["refreshToken"]).status_code == 403
    # The new password signs in, the old one does not.
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert api.post(
        "/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json"
    ).status_code == 401


def test_a_password_change_is_logged_as_a_security_event(api, alice, signin, caplog):
    tokens = signin(alice)
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = change(api, tokens["accessToken"], {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert response.status_code == 200
    events = [r.getMessage() for r in caplog.records if r.name == "authsite.security"]
    assert any('"event": "password_changed"' in e and f'"user": {alice.pk}' in e for e in events)


def test_a_wrong_old_password_is_400_and_changes_nothing(api, alice, signin):
    current, other = signin(alice), signin(alice)
    response = change(api, current["accessToken"], {"oldPassword": "wrong password", "newPassword": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json() == {
        "message": "Old password is incorrect!",
        "errors": {"oldPassword": ["Old password is incorrect!"]},
    }
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert refresh(api, other["refreshToken"]).status_code == 200


@pytest.mark.parametrize(
    "new_password, message",
    [
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("password123", "This password is too common."),
        ("8675309123456", "This password is entirely numeric."),
        ("alice@example.com", "The password is too similar to the email address."),
    ],
)
def test_the_password_validators_apply(api, alice, signin, new_password, message):
    tokens = signin(alice)
    response = change(api, tokens["accessToken"], {"oldPassword": PASSWORD, "newPassword": new_password})
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert message in response.json()["errors"]["newPassword"]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"newPassword": NEW_PASSWORD}, "oldPassword", "Old password is required."),
        ({"oldPassword": PASSWORD}, "newPassword", "New password is required."),
        ({"oldPassword": PASSWORD, "newPassword": None}, "newPassword", "New password is required."),
        ({"oldPassword": 12345678, "newPassword": NEW_PASSWORD}, "oldPassword", "Old password must be a string."),
        ({"oldPassword": PASSWORD, "newPassword": ["x"]}, "newPassword", "New password must be a string."),
        ({"oldPassword": PASSWORD, "newPassword": "é" * 2049}, "newPassword", "New password must be at most 4096 bytes."),
        ({"oldPassword": "x" * 4097, "newPassword": NEW_PASSWORD}, "oldPassword", "Old password must be at most 4096 characters."),
    ],
)
def test_malformed_bodies_are_400(api, alice, signin, body, field, message):
    tokens = signin(alice)
    response = change(api, tokens["accessToken"], body)
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert response.json()["errors"][field] == [message]


@pytest.mark.parametrize("body", ['["a"]', '"text"', "{bad json"])
def test_a_body_that_is_no_object_is_400(api, alice, signin, body):
    tokens = signin(alice)
    response = api.generic("POST", PATH, body, content_type="application/json", HTTP_X_ACCESS_TOKEN=tokens["accessToken"])
    assert response.status_code == 400
    assert set(response.json()) >= {"message"}


def test_password_change_needs_a_token(api, db):
    response = api.post(PATH, {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (403, {"message": "No token provided!"})


def test_password_change_with_a_revoked_session_is_401(api, alice, signin):
    tokens = signin(alice)
    Session.objects.filter(user=alice).revoke()
    response = change(api, tokens["accessToken"], {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized!"})
    assert User.objects.get(pk=alice.pk).check_password(PASSWORD)


def test_a_hasher_upgrade_at_signin_revokes_no_session(api, make_user, signin, settings):
    # Django rehashes on sign-in when the preferred hasher changes; that is no password change.
    alice = make_user("alice")
    first = signin(alice)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    signin(alice)
    alice.refresh_from_db()
    assert alice.password.startswith("pbkdf2_sha256$")
    assert refresh(api, first["refreshToken"]).status_code == 200


@pytest.mark.parametrize("end", ["delete", "revoke"])
def test_a_session_that_ends_during_the_change_is_401_and_changes_nothing(api, alice, signin, monkeypatch, end):
    """E.g. evicted by SESSIONS_PER_USER sign-ins elsewhere while the old password was hashed."""
    tokens = signin(alice)
    check_password = User.check_password

    def check_while_the_session_ends(user, raw_password):
        sessions = Session.objects.filter(user=user)
        sessions.delete() if end == "delete" else sessions.revoke()
        return check_password(user, raw_password)

    monkeypatch.setattr(User, "check_password", check_while_the_session_ends)
    response = change(api, tokens["accessToken"], {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized!"})
    monkeypatch.undo()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not Session.objects.live().exists()
