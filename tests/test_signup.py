"""POST /api/auth/signup: every row of API.md's table, in the table's order of precedence."""

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection

from accounts.models import Role, User
from accounts.serializers import SignupSerializer

from .conftest import PASSWORD

URL = "/api/auth/signup"
OK = {"message": "User registered successfully!"}
USERNAME_TAKEN = {"message": "Failed! Username is already in use!"}
EMAIL_TAKEN = {"message": "Failed! Email is already in use!"}
REQUIRE_ADMIN = {"message": "Require Admin Role!"}


def body(username="bob", email=None, password=PASSWORD, **extra):
    if email is None:
        email = f"{username}@example.com"
    data = {"username": username, "email": email, "password": password}
    data.update(extra)
    return {key: value for key, value in data.items() if value is not ...}


def role_names(username):
    user = User.objects.get(username=username)
    return [role.name for role in user.roles.all()]


def signup(api, data, **headers):
    return api.post(URL, data, format="json", **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_success_gives_the_user_role(api, url):
    response = api.post(url, body(), format="json")
    assert (response.status_code, response.json()) == (200, OK)
    user = User.objects.get(username="bob")
    assert role_names("bob") == [Role.USER]
    assert user.email == "bob@example.com"
    assert user.check_password(PASSWORD)
    assert not user.password.startswith(PASSWORD)


@pytest.mark.django_db
def test_form_encoded_body(api):
    response = api.post(URL, {**body(), "roles": ["user"]})  # multipart by default: use urlencoded
    assert response.status_code == 415
    response = api.generic(
        "POST",
        URL,
        "username=bob&email=bob%40example.com&password=correct+horse+12",
        content_type="application/x-www-form-urlencoded",
    )
    assert (response.status_code, response.json()) == (200, OK)
    assert role_names("bob") == [Role.USER]


# Field validation: (body overrides, expected message, field in "errors").
INVALID = [
    ({"username": ...}, "Username is required.", "username"),
    ({"email": ...}, "Email is required.", "email"),
    ({"password": ...}, "Password is required.", "password"),
    ({"username": ""}, "Username may not be blank.", "username"),
    ({"username": "   "}, "Username may not be blank.", "username"),
    ({"email": ""}, "Email may not be blank.", "email"),
    ({"password": ""}, "Password may not be blank.", "password"),
    ({"username": None}, "Username is required.", "username"),
    ({"username": 42}, "Username must be a string.", "username"),
    ({"username": ["bob"]}, "Username must be a string.", "username"),
    ({"username": {"a": "b"}}, "Username must be a string.", "username"),
    ({"username": True}, "Username must be a string.", "username"),
    ({"email": 42}, "Email must be a string.", "email"),
    ({"password": 12345678901}, "Password must be a string.", "password"),
    ({"password": None}, "Password is required.", "password"),
    ({"username": "b" * 151}, "Username must be at most 150 characters.", "username"),
    ({"username": "ﬃ" * 51}, "Username must be at most 150 characters.", "username"),  # NFKC: 153
    ({"username": "ﬀ" * 76}, "Username must be at most 150 characters.", "username"),  # NFKC: 152
    ({"email": "b" * 245 + "@example.com"}, "Email must be at most 254 characters.", "email"),
    ({"password": "p" * 4097}, "Password must be at most 4096 characters.", "password"),
    ({"email": "not-an-email"}, "Email must be a valid email address.", "email"),
    (
        {"username": "bob smith"},
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters.",
        "username",
    ),
    (
        {"username": "bob/../x"},
        "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ "
        "characters.",
        "username",
    ),
    (
        {"password": "short1!"},
        "This password is too short. It must contain at least 8 characters.",
        "password",
    ),
    ({"password": "password123"}, "This password is too common.", "password"),
    ({"password": "5830264917"}, "This password is entirely numeric.", "password"),
    (
        {"username": "marguerite", "password": "marguerite1"},
        "The password is too similar to the username.",
        "password",
    ),
    ({"roles": "admin"}, "Roles must be a list of role names.", "roles"),
    ({"roles": [1]}, "Each role must be a string.", "roles.0"),
    ({"roles": ["user"] * 11}, "Roles may list at most 10 role names.", "roles"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("overrides,message,field", INVALID)
def test_invalid_field_is_400(api, overrides, message, field):
    response = signup(api, body(**overrides))
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert message in response.json()["errors"][field]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_all_field_errors_are_listed(api):
    response = signup(api, {"email": "nope"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "email", "password"}
    assert response.json()["message"] == "Username is required."


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [[], ["bob"], "bob", 42, None])
def test_body_that_is_not_an_object_is_400(api, payload):
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert "message" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "taken",
    ["alice", "Alice", "ALICE", "aLiCe", "ａｌｉｃｅ"],
    ids=["same", "capitalised", "upper", "mixed", "full-width"],
)
def test_username_taken_caselessly(api, alice, taken):
    response = signup(api, body(username=taken, email="other@example.com"))
    assert (response.status_code, response.json()) == (400, USERNAME_TAKEN)
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("taken", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"])
def test_email_taken_caselessly(api, alice, taken):
    response = signup(api, body(username="other", email=taken))
    assert (response.status_code, response.json()) == (400, EMAIL_TAKEN)
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_accents_make_different_names_on_every_backend(api, make_user):
    """Decision: identity keys fold case and compatibility forms, not accents (josé is not jose)."""
    make_user("josé", email="jose1@example.com")
    response = signup(api, body(username="jose", email="jose2@example.com"))
    assert (response.status_code, response.json()) == (200, OK)
    response = signup(api, body(username="JOSÉ", email="jose3@example.com"))
    assert (response.status_code, response.json()) == (400, USERNAME_TAKEN)


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["superhero"], ["user", "superhero"], ["Admin"], ["ADMIN"]])
def test_unknown_role_is_400(api, roles):
    response = signup(api, body(roles=roles))
    unknown = next(name for name in roles if name not in ("user",))
    assert (response.status_code, response.json()) == (
        400,
        {"message": f"Failed! Role does not exist = {unknown}"},
    )
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["moderator"], ["admin"], ["user", "admin"], ["moderator", "admin"]])
def test_anonymous_cannot_ask_for_roles_beyond_user(api, roles):
    response = signup(api, body(roles=roles))
    assert (response.status_code, response.json()) == (403, REQUIRE_ADMIN)
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("roles", [["user"], [], None, ["user", "user"]])
def test_anonymous_may_ask_for_user_only(api, roles):
    response = signup(api, body(roles=roles))
    assert (response.status_code, response.json()) == (200, OK)
    assert role_names("bob") == [Role.USER]


@pytest.mark.django_db
def test_signed_in_non_admin_cannot_grant_roles(api, moderator, token_for):
    response = signup(api, body(roles=["moderator"]), HTTP_X_ACCESS_TOKEN=token_for(moderator))
    assert (response.status_code, response.json()) == (403, REQUIRE_ADMIN)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "roles",
    [["moderator"], ["admin"], ["user", "moderator", "admin"], ["admin", "user"]],
)
@pytest.mark.parametrize("header", ["HTTP_X_ACCESS_TOKEN", "HTTP_AUTHORIZATION"])
def test_admin_creates_users_with_exactly_the_given_roles(api, admin_user, token_for, roles, header):
    token = token_for(admin_user)
    value = token if header == "HTTP_X_ACCESS_TOKEN" else f"Bearer {token}"
    response = signup(api, body(roles=roles), **{header: value})
    assert (response.status_code, response.json()) == (200, OK)
    expected = [name for name in (Role.USER, Role.MODERATOR, Role.ADMIN) if name in roles]
    assert role_names("bob") == expected


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "a.b.c"])
def test_bad_token_makes_the_caller_anonymous(api, token):
    response = signup(api, body(), HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (200, OK)
    response = signup(api, body(username="eve", roles=["admin"]), HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (403, REQUIRE_ADMIN)


@pytest.mark.django_db
def test_inactive_admin_is_anonymous(api, admin_user, token_for):
    token = token_for(admin_user)
    admin_user.is_active = False
    admin_user.save()
    response = signup(api, body(roles=["admin"]), HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (403, REQUIRE_ADMIN)


# The table's order: the first failing row wins.
PRECEDENCE = [
    # invalid field beats a taken username
    (dict(username="alice", email="bad"), 400, {"message": "Email must be a valid email address."}),
    # taken username beats taken email, unknown role and forbidden role
    (dict(username="ALICE", email="alice@example.com", roles=["nope", "admin"]), 400, USERNAME_TAKEN),
    # taken email beats unknown role and forbidden role
    (dict(username="new", email="ALICE@example.com", roles=["admin", "nope"]), 400, EMAIL_TAKEN),
    # unknown role beats forbidden role, whatever the list order
    (dict(username="new", roles=["admin", "nope"]), 400, {"message": "Failed! Role does not exist = nope"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("overrides,status,expected", PRECEDENCE)
def test_checks_run_in_table_order(api, alice, overrides, status, expected):
    response = signup(api, body(**overrides))
    assert response.status_code == status
    assert {"message": response.json()["message"]} == expected


@pytest.mark.django_db
def test_insert_race_is_a_400_not_a_500(api, alice, monkeypatch):
    """The pre-check passed but a concurrent sign-up won the insert: the constraint decides."""
    original = SignupSerializer.reject_taken
    calls = []

    def late_check(self, username, email):
        calls.append(username)
        if len(calls) > 1:
            original(self, username, email)

    monkeypatch.setattr(SignupSerializer, "reject_taken", late_check)
    response = signup(api, body(username="Alice", email="new@example.com"))
    assert (response.status_code, response.json()) == (400, USERNAME_TAKEN)
    response = signup(api, body(username="new", email="ALICE@example.com"))
    assert (response.status_code, response.json()) == (400, EMAIL_TAKEN)
    assert User.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_user_and_roles_are_written_together(db):
    ghost_role = Role.objects.create(name="ghost")
    Role.objects.filter(pk=ghost_role.pk).delete()  # gone: inserting the user's role row fails
    with pytest.raises(IntegrityError):
        User.objects.create_user("ghost", "ghost@example.com", PASSWORD, roles=[ghost_role])
    assert not User.objects.filter(username="ghost").exists()


def concurrent_signups(bodies):
    """POST every body at once, each from its own thread and connection; the responses."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def run(index, data):
        try:
            client = APIClient()
            barrier.wait(timeout=10)
            responses[index] = client.post(URL, data, format="json")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "make_body,loser",
    [
        (lambda i: body(username=["carol", "Carol", "CAROL", "ｃａｒｏｌ"][i], email=f"c{i}@example.com"), USERNAME_TAKEN),
        (lambda i: body(username=f"dave{i}", email=["dave@example.com", "DAVE@example.com"][i % 2]), EMAIL_TAKEN),
    ],
    ids=["same-username", "same-email"],
)
@pytest.mark.parametrize("precheck", [True, False], ids=["with-precheck", "constraint-only"])
def test_concurrent_duplicate_signups(make_body, loser, precheck, monkeypatch):
    if not precheck:
        # Every thread passes the pre-insert check: only the database constraint can decide.
        original, seen = SignupSerializer.reject_taken, threading.local()

        def after_insert_only(self, username, email):
            if getattr(seen, "checked", False):
                original(self, username, email)
            seen.checked = True

        monkeypatch.setattr(SignupSerializer, "reject_taken", after_insert_only)
    responses = concurrent_signups([make_body(i) for i in range(4)])
    results = sorted((r.status_code, r.json()["message"]) for r in responses)
    assert results == [(200, OK["message"])] + [(400, loser["message"])] * 3
    assert User.objects.count() == 1
    assert not User.objects.filter(roles=None).exists()


@pytest.mark.django_db
def test_username_at_the_limit_after_normalisation(api):
    response = signup(api, body(username="ﬃ" * 50, email="ffi@example.com"))  # NFKC: 150 chars
    assert (response.status_code, response.json()) == (200, OK)
    assert User.objects.get().username == "ffi" * 50
