"""GET /api/test/all | user | mod | admin: the boards, and every failure row of API.md."""

import time

import jwt
import pytest
from django.conf import settings

from accounts.models import Role, Session

BOARDS = [
    # path, roles that may read it (None: anyone, even without a token), text
    ("/api/test/all", None, "Public Content."),
    ("/api/test/user", {Role.USER}, "User Content."),
    ("/api/test/mod", {Role.MODERATOR}, "Moderator Content."),
    ("/api/test/admin", {Role.ADMIN}, "Admin Content."),
]
REFUSALS = {
    "/api/test/mod": "Require Moderator Role!",
    "/api/test/admin": "Require Admin Role!",
}
ROLE_SETS = [
    [Role.USER],
    [Role.USER, Role.MODERATOR],
    [Role.USER, Role.ADMIN],
    [Role.ADMIN],  # roles are independent: an admin is not a moderator
    [Role.MODERATOR],
]


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def x_access(token):
    return {"HTTP_X_ACCESS_TOKEN": token}


HEADER_FORMS = [pytest.param(x_access, id="x-access-token"), pytest.param(bearer, id="bearer")]


def assert_text(response, text):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == text


def assert_error(response, status, message):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": message}


@pytest.mark.django_db
@pytest.mark.parametrize("path,allowed,text", BOARDS)
@pytest.mark.parametrize("roles", ROLE_SETS, ids="+".join)
@pytest.mark.parametrize("header", HEADER_FORMS)
def test_board_access_by_role(api, make_user, token_for, path, allowed, text, roles, header):
    token = token_for(make_user("someone", roles=roles))
    response = api.get(path, **header(token))
    if allowed is None or allowed & set(roles) or path == "/api/test/user":
        assert_text(response, text)
    else:
        assert_error(response, 403, REFUSALS[path])


@pytest.mark.django_db
def test_public_board_needs_no_token(api):
    assert_text(api.get("/api/test/all"), "Public Content.")


@pytest.mark.django_db
@pytest.mark.parametrize("path", [b[0] for b in BOARDS[1:]])
def test_no_token_is_403(api, path):
    assert_error(api.get(path), 403, "No token provided!")


@pytest.mark.django_db
@pytest.mark.parametrize("path", [b[0] for b in BOARDS[1:]])
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "Basic YWxpY2U6cHc="},
        {"HTTP_AUTHORIZATION": ""},
        {"HTTP_X_ACCESS_TOKEN": ""},
    ],
    ids=["basic-auth", "empty-authorization", "empty-x-access-token"],
)
def test_headers_without_a_token_are_no_token(api, path, headers):
    assert_error(api.get(path, **headers), 403, "No token provided!")


@pytest.mark.parametrize("path", ["/api/test/all/", "/api/test/user/", "/api/test/mod/", "/api/test/admin/"])
@pytest.mark.django_db
def test_trailing_slash_without_redirect(api, make_user, token_for, path):
    token = token_for(make_user("boss", roles=[Role.USER, Role.MODERATOR, Role.ADMIN]))
    response = api.get(path, **x_access(token))
    assert response.status_code == 200


@pytest.mark.django_db
def test_x_access_token_wins_over_bearer(api, alice, admin_user, token_for):
    response = api.get(
        "/api/test/admin", **x_access(token_for(alice)), **bearer(token_for(admin_user))
    )
    assert_error(response, 403, "Require Admin Role!")
    response = api.get(
        "/api/test/admin", **x_access(token_for(admin_user)), **bearer(token_for(alice))
    )
    assert_text(response, "Admin Content.")


@pytest.mark.django_db
def test_x_access_token_wins_even_when_invalid(api, alice, token_for):
    response = api.get("/api/test/user", **x_access("garbage"), **bearer(token_for(alice)))
    assert_error(response, 401, "Unauthorized!")


@pytest.mark.django_db
@pytest.mark.parametrize("header", HEADER_FORMS)
def test_angular_text_accept_header_is_served(api, alice, token_for, header):
    response = api.get("/api/test/user", HTTP_ACCEPT="text/plain", **header(token_for(alice)))
    assert_text(response, "User Content.")
    response = api.get("/api/test/mod", HTTP_ACCEPT="text/plain", **header(token_for(alice)))
    assert_error(response, 403, "Require Moderator Role!")


# Tokens that are not acceptable access tokens: each is a 401 "Unauthorized!".


def sign(payload, key=None, algorithm="HS256", headers=None):
    return jwt.encode(payload, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm, headers=headers)


def claims(user, **overrides):
    """An acceptable access token's payload for a new session of ``user``, with ``overrides``."""
    now = int(time.time())
    session, _ = Session.objects.start(user)
    payload = {
        "token_type": "access", "exp": now + 300, "iat": now, "jti": "x" * 32,
        "id": user.pk, "sid": session.pk, "iss": settings.SIMPLE_JWT["ISSUER"],
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not None}


@pytest.mark.django_db
def test_the_baseline_forged_token_is_acceptable(api, alice):
    """So that each bad token below fails for its own defect, not for a missing claim."""
    assert_text(api.get("/api/test/user", **x_access(sign(claims(alice)))), "User Content.")


def forged_none(user):
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(
        jwt.api_jws.json.dumps(claims(user)).encode()
    ).decode()
    return f"{header}.{body}."


BAD_TOKENS = {
    "garbage": lambda user: "not-a-jwt",
    "three-garbage-segments": lambda user: "a.b.c",
    "wrong-key": lambda user: sign(claims(user), key="another-key-" + "z" * 40),
    "alg-none": forged_none,
    "alg-HS512": lambda user: sign(claims(user), algorithm="HS512"),
    "refresh-type": lambda user: sign(claims(user, token_type="refresh")),
    "no-type": lambda user: sign(claims(user, token_type=None)),
    "no-exp": lambda user: sign(claims(user, exp=None)),
    "no-id": lambda user: sign(claims(user, id=None)),
    "string-id": lambda user: sign(claims(user, id=str(user.pk))),
    "unknown-user": lambda user: sign(claims(user, id=user.pk + 1000)),
    "no-session": lambda user: sign(claims(user, sid=None)),
    "unknown-session": lambda user: sign(claims(user, sid=10**9)),
    "id-beyond-64-bits": lambda user: sign(claims(user, id=2**64)),
    "sid-beyond-64-bits": lambda user: sign(claims(user, sid=2**64)),
    "negative-id": lambda user: sign(claims(user, id=-1)),
    "wrong-issuer": lambda user: sign(claims(user, iss="https://elsewhere.example")),
    "tampered": lambda user: sign(claims(user))[:-3] + "AAA",
}


@pytest.mark.django_db
@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize("header", HEADER_FORMS)
@pytest.mark.parametrize("path", [b[0] for b in BOARDS[1:]])
def test_unacceptable_token_is_401(api, alice, make_token, header, path):
    response = api.get(path, **header(make_token(alice)))
    assert_error(response, 401, "Unauthorized!")


@pytest.mark.django_db
def test_bearer_with_extra_parts_is_401(api, alice, token_for):
    response = api.get("/api/test/user", HTTP_AUTHORIZATION=f"Bearer {token_for(alice)} extra")
    assert_error(response, 401, "Unauthorized!")


@pytest.mark.django_db
@pytest.mark.parametrize("header", HEADER_FORMS)
def test_inactive_user_is_401(api, make_user, token_for, header):
    user = make_user("sleeper", is_active=False)
    assert_error(api.get("/api/test/user", **header(token_for(user))), 401, "Unauthorized!")


@pytest.mark.django_db
@pytest.mark.parametrize("header", HEADER_FORMS)
@pytest.mark.parametrize("path", [b[0] for b in BOARDS[1:]])
def test_expired_token_is_401_with_its_own_message(api, alice, header, path):
    token = sign(claims(alice, exp=int(time.time()) - 10, iat=int(time.time()) - 1000))
    assert_error(api.get(path, **header(token)), 401, "Unauthorized! Access Token was expired!")


@pytest.mark.django_db
def test_expired_token_with_bad_signature_is_plain_401(api, alice):
    token = sign(claims(alice, exp=int(time.time()) - 10), key="another-key-" + "z" * 40)
    assert_error(api.get("/api/test/user", **x_access(token)), 401, "Unauthorized!")


@pytest.mark.django_db
@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_public_board_ignores_bad_tokens(api, alice, make_token):
    assert_text(api.get("/api/test/all", **x_access(make_token(alice))), "Public Content.")
    assert_text(api.get("/api/test/all", **bearer(make_token(alice))), "Public Content.")


@pytest.mark.django_db
def test_public_board_ignores_expired_token(api, alice):
    token = sign(claims(alice, exp=int(time.time()) - 10))
    assert_text(api.get("/api/test/all", **x_access(token)), "Public Content.")


# Roles are read from the database on every request, not from the token.


@pytest.mark.django_db
def test_role_removed_takes_effect_on_next_request(api, moderator, token_for):
    token = token_for(moderator)
    assert_text(api.get("/api/test/mod", **x_access(token)), "Moderator Content.")
    moderator.roles.remove(Role.objects.get(name=Role.MODERATOR))
    assert_error(api.get("/api/test/mod", **x_access(token)), 403, "Require Moderator Role!")


@pytest.mark.django_db
def test_role_granted_takes_effect_on_next_request(api, alice, token_for):
    token = token_for(alice)
    assert_error(api.get("/api/test/admin", **x_access(token)), 403, "Require Admin Role!")
    alice.roles.add(Role.objects.get(name=Role.ADMIN))
    assert_text(api.get("/api/test/admin", **x_access(token)), "Admin Content.")


@pytest.mark.django_db
def test_deactivated_user_is_refused_on_next_request(api, alice, token_for):
    token = token_for(alice)
    assert_text(api.get("/api/test/user", **x_access(token)), "User Content.")
    alice.is_active = False
    alice.save()
    assert_error(api.get("/api/test/user", **x_access(token)), 401, "Unauthorized!")


# Query budget per protected request: one query loads the session, its user and the user's roles
# (accounts.authentication; tests/test_session_ending.py pins the refusals too).

QUERY_COUNTS = [
    ("/api/test/all", 0),
    ("/api/test/user", 1),
    ("/api/test/mod", 1),
    ("/api/test/admin", 1),
]


@pytest.mark.django_db
@pytest.mark.parametrize("path,queries", QUERY_COUNTS)
@pytest.mark.parametrize("header", HEADER_FORMS)
def test_query_count(api, admin_user, token_for, django_assert_num_queries, path, queries, header):
    admin_user.roles.add(Role.objects.get(name=Role.MODERATOR))
    token = token_for(admin_user)
    with django_assert_num_queries(queries):
        response = api.get(path, **header(token))
    assert response.status_code == 200


@pytest.mark.django_db
def test_public_board_is_cacheable_content_not_an_auth_response(api):
    """Only responses that can carry a token are no-store; the public board carries none."""
    response = api.get("/api/test/all")
    assert "no-store" not in response.get("Cache-Control", "")
