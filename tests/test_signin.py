"""POST /api/auth/signin."""

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings

from accounts.models import Role, Session
from accounts.tokens import refresh_token_digest

from .conftest import PASSWORD

URL = "/api/auth/signin"
INVALID = {"accessToken": None, "message": "Invalid username or password!"}


def signin(api, username="alice", password=PASSWORD, **headers):
    return api.post(URL, {"username": username, "password": password}, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_success_body(api, alice, url):
    response = api.post(url, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    data = response.json()
    # The tutorial's fields, and authsite's emailVerified (recovery; the clients ignore it).
    assert set(data) == {"id", "username", "email", "roles", "accessToken", "refreshToken", "tokenType", "emailVerified"}
    assert data["id"] == alice.pk
    assert (data["username"], data["email"]) == ("alice", "alice@example.com")
    assert data["roles"] == ["ROLE_USER"]
    assert data["tokenType"] == "Bearer"
    assert isinstance(data["refreshToken"], str) and len(data["refreshToken"]) >= 40


@pytest.mark.django_db
def test_access_token_payload(api, alice):
    token = signin(api).json()["accessToken"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    payload = jwt.decode(token, settings.SIMPLE_JWT["SIGNING_KEY"], algorithms=["HS256"])
    assert type(payload["id"]) is int and payload["id"] == alice.pk
    assert type(payload["iat"]) is int and type(payload["exp"]) is int
    assert payload["exp"] - payload["iat"] == 900
    assert payload["token_type"] == "access"


@pytest.mark.django_db
def test_tokens_work(api, alice):
    data = signin(api).json()
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=data["accessToken"]).status_code == 200
    response = api.post("/api/auth/refreshtoken", {"refreshToken": data["refreshToken"]}, format="json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_roles_in_id_order(api, make_user):
    make_user("boss", roles=[Role.ADMIN, Role.USER, Role.MODERATOR])
    assert signin(api, "boss").json()["roles"] == ["ROLE_USER", "ROLE_MODERATOR", "ROLE_ADMIN"]


@pytest.mark.django_db
def test_form_encoded_body(api, alice):
    response = api.generic(
        "POST", URL, "username=alice&password=correct+horse+12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ALICE", "Alice", "ａｌｉｃｅ"])
def test_username_is_caseless(api, alice, typed):
    response = signin(api, typed)
    assert response.status_code == 200
    assert response.json()["id"] == alice.pk
    assert response.json()["username"] == "alice"


@pytest.mark.django_db
def test_accented_names_are_distinct_accounts(api, make_user):
    jose = make_user("jose")
    jose_accent = make_user("josé", password="another pass 99")
    assert signin(api, "jose").json()["id"] == jose.pk
    assert signin(api, "JOSÉ", "another pass 99").json()["id"] == jose_accent.pk
    assert signin(api, "jose", "another pass 99").json() == INVALID


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,password",
    [("nobody", PASSWORD), ("alice", "wrong password"), ("alice", PASSWORD.upper()), ("b" * 150, PASSWORD)],
    ids=["unknown-user", "wrong-password", "password-case", "long-unknown"],
)
def test_bad_credentials_are_one_401(api, alice, username, password):
    response = signin(api, username, password)
    assert (response.status_code, response.json()) == (401, INVALID)
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_inactive_account_is_the_same_401(api, make_user):
    make_user("sleeper", is_active=False)
    response = signin(api, "sleeper")
    assert (response.status_code, response.json()) == (401, INVALID)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,message",
    [
        ({}, "Username is required."),
        ({"password": PASSWORD}, "Username is required."),
        ({"username": "alice"}, "Password is required."),
        ({"username": None, "password": PASSWORD}, "Username is required."),
        ({"username": "alice", "password": None}, "Password is required."),
        ({"username": 7, "password": PASSWORD}, "Username must be a string."),
        ({"username": "alice", "password": ["x"]}, "Password must be a string."),
        ({"username": "", "password": PASSWORD}, "Username may not be blank."),
        ({"username": "alice", "password": "p" * 4097}, "Password must be at most 4096 characters."),
    ],
)
def test_missing_or_malformed_fields_are_400(api, alice, data, message):
    response = api.post(URL, data, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == message


@pytest.mark.django_db
def test_bad_token_is_ignored(api, alice):
    assert signin(api, HTTP_X_ACCESS_TOKEN="garbage").status_code == 200
    assert signin(api, HTTP_AUTHORIZATION="Bearer garbage").status_code == 200


@pytest.mark.django_db
def test_refresh_token_is_stored_only_as_digest(api, alice):
    raw = signin(api).json()["refreshToken"]
    session = Session.objects.get()
    assert session.user_id == alice.pk
    assert session.token_digest == refresh_token_digest(raw)
    assert raw not in session.token_digest


class CountingHasher(MD5PasswordHasher):
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=["tests.test_signin.CountingHasher"])
def test_unknown_username_costs_a_hash_like_a_wrong_password(api, make_user):
    """Timing must not reveal whether a username exists: both paths hash the password once."""
    make_user("known")
    counts = {}
    for username in ("known", "unknown"):
        CountingHasher.calls = 0
        assert signin(api, username, "wrong password").status_code == 401
        counts[username] = CountingHasher.calls
    assert counts == {"known": 1, "unknown": 1}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sign_in_is_recorded_only_with_its_session(api, alice, monkeypatch):
    """
    ``last_login`` and the session are written in one transaction (``accounts.signin.open_session``):
    when the session cannot be opened, the sign-in is not recorded either.
    """

    class SessionTableFull(Exception):
        pass

    def start(*args, **kwargs):
        Session.objects.create(user=alice, token_digest="d" * 64, password_digest="", expires_at=alice.date_joined)
        raise SessionTableFull()

    monkeypatch.setattr(Session.objects, "start", start)
    api.raise_request_exception = False
    assert signin(api).status_code == 500
    alice.refresh_from_db()
    assert alice.last_login is None
    assert not Session.objects.exists()
