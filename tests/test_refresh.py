"""POST /api/auth/refreshtoken: every failure is a 403, never a 401 (the clients retry on 401)."""

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Session

from .conftest import PASSWORD

URL = "/api/auth/refreshtoken"
REQUIRED = {"message": "Refresh Token is required!"}
UNKNOWN = {"message": "Refresh token is not in database!"}
EXPIRED = {"message": "Refresh token was expired. Please make a new signin request"}


@pytest.fixture
def tokens(api, alice):
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    return response.json()


def refresh(api, token, **headers):
    return api.post(URL, {"refreshToken": token}, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_success_returns_a_new_access_token_and_the_same_refresh_token(api, tokens, url):
    response = api.post(url, {"refreshToken": tokens["refreshToken"]}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"accessToken", "refreshToken"}
    assert data["refreshToken"] == tokens["refreshToken"]
    payload = jwt.decode(data["accessToken"], settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert payload["id"] == tokens["id"]
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=data["accessToken"]).status_code == 200


@pytest.mark.django_db
def test_the_same_refresh_token_works_again(api, tokens):
    for _ in range(3):
        assert refresh(api, tokens["refreshToken"]).status_code == 200


@pytest.mark.django_db
def test_form_encoded_body(api, tokens):
    response = api.generic(
        "POST", URL, f"refreshToken={tokens['refreshToken']}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, expected",
    [("refreshToken=", "unknown"), ("other=x", "required"), ("refreshToken=a&refreshToken=", "unknown")],
)
def test_form_encoded_bodies_without_a_usable_token(api, body, expected):
    # A form's blank field is a blank token (unknown), not a missing one; the last value counts.
    response = api.generic("POST", URL, body, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()) == (403, {"unknown": UNKNOWN, "required": REQUIRED}[expected])


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{}, {"refreshToken": None}, {"other": "x"}, [], "token"])
def test_missing_token_is_403(api, data):
    response = api.post(URL, data, format="json")
    assert (response.status_code, response.json()) == (403, REQUIRED)


@pytest.mark.django_db
def test_empty_body_is_403(api):
    response = api.post(URL)
    assert (response.status_code, response.json()) == (403, REQUIRED)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "not-a-token", "x" * 500, 42, ["a"], {"a": 1}, True])
def test_unknown_or_malformed_token_is_403(api, tokens, value):
    response = refresh(api, value)
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_access_token_is_not_a_refresh_token(api, tokens):
    response = refresh(api, tokens["accessToken"])
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_revoked_token_is_403(api, tokens):
    assert api.post("/api/auth/signout", {"refreshToken": tokens["refreshToken"]}, format="json").status_code == 200
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_inactive_user_is_403(api, alice, tokens):
    alice.is_active = False
    alice.save()
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_deleted_user_is_403(api, alice, tokens):
    alice.delete()
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_expired_token_is_403(api, tokens):
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, EXPIRED)


@pytest.mark.django_db
def test_expired_and_revoked_token_is_not_in_database(api, tokens):
    Session.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    Session.objects.all().revoke()
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, UNKNOWN)


@pytest.mark.django_db
def test_session_lifetime_comes_from_settings(api, alice):
    before = timezone.now()
    api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    lifetime = Session.objects.get().expires_at - before
    assert timedelta(seconds=86400) <= lifetime < timedelta(seconds=86405)


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_X_ACCESS_TOKEN", "HTTP_AUTHORIZATION"])
def test_expired_access_token_sent_along_is_ignored(api, tokens, header):
    now = int(time.time())
    expired = jwt.encode(
        {"token_type": "access", "exp": now - 5, "iat": now - 905, "jti": "j" * 32, "id": tokens["id"]},
        settings.SIMPLE_JWT["SIGNING_KEY"],
        "HS256",
    )
    value = expired if header == "HTTP_X_ACCESS_TOKEN" else f"Bearer {expired}"
    response = refresh(api, tokens["refreshToken"], **{header: value})
    assert response.status_code == 200
    response = refresh(api, "unknown", **{header: value})
    assert (response.status_code, response.json()) == (403, UNKNOWN)
