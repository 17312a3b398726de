"""
Cookie mode (AUTH_COOKIES): sign-in sets HttpOnly cookies, every protected endpoint accepts the
access cookie (a header token wins), refresh reads the refresh cookie, sign-out revokes the
session and expires both cookies; credentialed CORS for the exact origins only; the CSRF rules
(allowed Origin or Referer, JSON only) for unsafe requests authenticated by a cookie.
The browser proof is tests/test_browser_cookies.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Session
from accounts.tokens import AccessToken
from tests.conftest import PASSWORD

APP = "http://localhost:8081"
ACCESS, REFRESH = "authsite-access", "authsite-refresh"
JSON = {"format": "json", "HTTP_ORIGIN": APP}


def sign_in(api, user, **extra):
    response = api.post("/api/auth/signin", {"username": user.username, "password": PASSWORD}, **JSON, **extra)
    assert response.status_code == 200, response.content
    return response


def live_sessions(user):
    return Session.objects.filter(user=user).live().count()


# --- sign-in in each mode -----------------------------------------------------------------------


def test_off_sets_no_cookie_and_ignores_one(api, alice, cookie_mode, signin):
    cookie_mode("off")
    response = sign_in(api, alice)
    assert not response.cookies
    assert set(response.json()) >= {"accessToken", "refreshToken", "tokenType"}
    api.cookies[ACCESS] = response.json()["accessToken"]
    board = api.get("/api/test/user")
    assert board.status_code == 403 and board.json() == {"message": "No token provided!"}


def test_on_sets_httponly_cookies_and_no_token_in_the_body(api, alice, cookie_mode, settings):
    cookie_mode("on")
    response = sign_in(api, alice)
    body = response.json()
    assert body == {"id": alice.pk, "username": "alice", "email": "alice@example.com",
                    "roles": ["ROLE_USER"], "emailVerified": False}
    access, refresh = response.cookies[ACCESS], response.cookies[REFRESH]
    for cookie in (access, refresh):
        assert cookie["httponly"] and cookie["secure"]
        assert cookie["samesite"] == "Lax"
        assert cookie["domain"] == ""
    assert access["path"] == "/api" and refresh["path"] == "/api/auth"
    # Each lives as long as its token (within the second the response took).
    assert access["max-age"] in (899, 900) and settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(seconds=900)
    assert refresh["max-age"] in (86399, 86400) and settings.REFRESH_TOKEN_LIFETIME == timedelta(seconds=86400)
    assert access.value not in response.content.decode() and refresh.value not in response.content.decode()


def test_both_sets_the_cookies_and_returns_the_header_body(api, alice, cookie_mode):
    cookie_mode("both")
    response = sign_in(api, alice)
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert response.cookies[ACCESS].value == body["accessToken"]
    assert response.cookies[REFRESH].value == body["refreshToken"]
    # The header client of the same server keeps working.
    board = api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=body["accessToken"], HTTP_COOKIE="")
    assert board.status_code == 200


def test_cookie_attributes_follow_the_settings(api, alice, cookie_mode, settings):
    cookie_mode("on")
    settings.AUTH_COOKIE_SAMESITE = "Strict"
    settings.AUTH_COOKIE_SECURE = False
    settings.AUTH_COOKIE_DOMAIN = "example.com"
    settings.AUTH_COOKIE_ACCESS_NAME, settings.AUTH_COOKIE_REFRESH_NAME = "at", "rt"
    response = sign_in(api, alice)
    assert set(response.cookies) == {"at", "rt"}
    for cookie in response.cookies.values():
        assert cookie["samesite"] == "Strict" and not cookie["secure"] and cookie["domain"] == "example.com"
    assert api.get("/api/test/user").content == b"User Content."


# --- the access cookie on protected endpoints ----------------------------------------------------


@pytest.mark.parametrize("mode", ["on", "both"])
def test_every_protected_endpoint_accepts_the_access_cookie(api, moderator, cookie_mode, mode):
    cookie_mode(mode)
    sign_in(api, moderator)
    assert api.get("/api/test/user").content == b"User Content."
    assert api.get("/api/test/mod").content == b"Moderator Content."
    admin = api.get("/api/test/admin")
    assert admin.status_code == 403 and admin.json() == {"message": "Require Admin Role!"}
    assert api.get("/api/auth/me").json()["username"] == "mod"
    assert len(api.get("/api/auth/sessions").json()) == 1


def test_a_cookie_request_is_one_query(api, alice, cookie_mode, django_assert_num_queries):
    cookie_mode("on")
    sign_in(api, alice)
    with django_assert_num_queries(1):
        assert api.get("/api/test/user").status_code == 200


def test_a_header_token_wins_over_the_cookie(api, alice, admin_user, cookie_mode, token_for):
    cookie_mode("on")
    sign_in(api, admin_user)
    assert api.get("/api/test/admin").status_code == 200
    # alice's header token decides, not the admin's cookie
    refused = api.get("/api/test/admin", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert refused.json() == {"message": "Require Admin Role!"}
    refused = api.get("/api/test/admin", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized!"}


def test_a_header_token_works_in_mode_on(api, alice, cookie_mode, token_for):
    cookie_mode("on")
    assert api.get("/api/test/user", HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}").status_code == 200


def test_bad_and_expired_access_cookies_are_401(api, alice, cookie_mode):
    cookie_mode("on")
    api.cookies[ACCESS] = "not-a-jwt"
    assert api.get("/api/test/user").json() == {"message": "Unauthorized!"}
    sign_in(api, alice)
    token = AccessToken.for_session(Session.objects.get(user=alice))
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    api.cookies[ACCESS] = str(token)
    expired = api.get("/api/test/user")
    assert expired.status_code == 401
    assert expired.json() == {"message": "Unauthorized! Access Token was expired!"}


# --- refresh and sign-out ------------------------------------------------------------------------


def test_refresh_with_the_refresh_cookie_sets_a_new_access_cookie(api, alice, cookie_mode):
    cookie_mode("on")
    first = sign_in(api, alice).cookies[ACCESS].value
    response = api.post("/api/auth/refreshtoken", {}, **JSON)
    assert response.status_code == 200, response.content
    assert response.json() == {}
    assert response.cookies[ACCESS].value not in ("", first)
    assert api.get("/api/test/user").status_code == 200


def test_refresh_without_any_refresh_token_is_still_403_required(api, cookie_mode, db):
    cookie_mode("on")
    response = api.post("/api/auth/refreshtoken", {}, **JSON)
    assert response.status_code == 403 and response.json() == {"message": "Refresh Token is required!"}


def test_rotation_renews_the_refresh_cookie(api, alice, cookie_mode, settings):
    cookie_mode("on")
    settings.JWT_ROTATE_REFRESH_TOKENS = True
    old_refresh = sign_in(api, alice).cookies[REFRESH].value
    response = api.post("/api/auth/refreshtoken", {}, **JSON)
    new_refresh = response.cookies[REFRESH].value
    assert new_refresh and new_refresh != old_refresh
    assert api.post("/api/auth/refreshtoken", {}, **JSON).status_code == 200


@pytest.mark.parametrize("mode", ["on", "both"])
def test_signout_revokes_the_session_and_expires_both_cookies(api, alice, cookie_mode, mode):
    cookie_mode(mode)
    signed_in = sign_in(api, alice)
    access, refresh = signed_in.cookies[ACCESS].value, signed_in.cookies[REFRESH].value
    response = api.post("/api/auth/signout", {}, **JSON)
    assert response.status_code == 200 and response.json() == {"message": "You've been signed out!"}
    for name in (ACCESS, REFRESH):
        assert response.cookies[name].value == "" and response.cookies[name]["max-age"] == 0
    assert live_sessions(alice) == 0
    # The old cookies, replayed, no longer work (the Node variant would still answer 200).
    api.cookies[ACCESS], api.cookies[REFRESH] = access, refresh
    assert api.get("/api/test/user").status_code == 401
    replay = api.post("/api/auth/refreshtoken", {}, **JSON)
    assert replay.status_code == 403 and replay.json() == {"message": "Refresh token is not in database!"}


def test_signout_with_only_the_refresh_cookie_revokes(api, alice, cookie_mode):
    cookie_mode("on")
    sign_in(api, alice)
    del api.cookies[ACCESS]  # expired in the browser
    assert api.post("/api/auth/signout", {}, **JSON).status_code == 200
    assert live_sessions(alice) == 0


def test_password_change_moves_the_cookies_to_the_new_session(api, alice, cookie_mode):
    cookie_mode("on")
    old_access = sign_in(api, alice).cookies[ACCESS].value
    response = api.post("/api/auth/password", {"oldPassword": PASSWORD, "newPassword": "another fine secret 7"}, **JSON)
    assert response.status_code == 200, response.content
    assert response.json() == {"message": "Password changed successfully!"}
    assert response.cookies[ACCESS].value != old_access
    assert api.get("/api/test/user").status_code == 200
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=old_access).status_code == 401


# --- CSRF: unsafe cookie requests ---------------------------------------------------------------


def signout_as_cookie_client(api, alice, **request):
    sign_in(api, alice)
    return api.post("/api/auth/signout", **request)


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"data": "{}", "content_type": "application/json", "HTTP_ORIGIN": "http://evil.example"},
        {"data": "{}", "content_type": "application/json", "HTTP_ORIGIN": "http://localhost:8082"},
        {"data": "{}", "content_type": "application/json", "HTTP_ORIGIN": "null"},
        {"data": "{}", "content_type": "application/json"},  # neither Origin nor Referer
        {"data": "{}", "content_type": "application/json", "HTTP_REFERER": "http://evil.example/page"},
        {"data": "{}", "content_type": "application/json", "HTTP_REFERER": "not a url"},
    ],
)
def test_an_unsafe_cookie_request_from_another_origin_is_403(api, alice, cookie_mode, request_kwargs):
    cookie_mode("on")
    response = signout_as_cookie_client(api, alice, **request_kwargs)
    assert response.status_code == 403
    assert response.json() == {"message": "Origin not allowed!"}
    assert live_sessions(alice) == 1  # nothing revoked
    assert not response.cookies  # nothing cleared


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
)
def test_an_unsafe_cookie_request_that_is_not_json_is_403(api, alice, cookie_mode, content_type):
    cookie_mode("on")
    response = signout_as_cookie_client(api, alice, data="a=b", content_type=content_type, HTTP_ORIGIN=APP)
    assert response.status_code == 403
    assert response.json() == {"message": "Content-Type must be application/json!"}
    assert live_sessions(alice) == 1


def test_an_allowed_referer_stands_in_for_a_missing_origin(api, alice, cookie_mode):
    cookie_mode("on")
    response = signout_as_cookie_client(
        api, alice, data="{}", content_type="application/json; charset=utf-8", HTTP_REFERER=APP + "/profile"
    )
    assert response.status_code == 200
    assert live_sessions(alice) == 0


def test_the_service_own_origin_is_allowed(api, alice, cookie_mode):
    """The docs pages (Swagger UI) call the API from the service's own origin."""
    cookie_mode("on")
    response = signout_as_cookie_client(api, alice, data="{}", content_type="application/json",
                                        HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200


def test_a_signin_from_a_foreign_browser_origin_sets_no_cookie(api, alice, cookie_mode):
    """Login CSRF: a foreign page's form would plant the attacker's session in the victim's browser."""
    cookie_mode("on")
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json",
                        HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 403 and response.json() == {"message": "Origin not allowed!"}
    assert not response.cookies and live_sessions(alice) == 0
    # Clients that are no browser (no Origin) sign in as before.
    assert api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json").status_code == 200


def test_a_signin_from_a_foreign_origin_is_allowed_with_cookies_off(api, alice, cookie_mode):
    cookie_mode("off")
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json",
                        HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 200


def test_a_signout_without_cookies_clears_none(api, alice, cookie_mode):
    """A cross-site form (SameSite strips the cookies) must not make the browser drop them either."""
    cookie_mode("on")
    response = api.post("/api/auth/signout", "a=b", content_type="application/x-www-form-urlencoded",
                        HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 200 and not response.cookies


def test_the_access_cookie_alone_is_checked_too(api, alice, cookie_mode):
    cookie_mode("on")
    sign_in(api, alice)
    del api.cookies[REFRESH]
    response = api.post("/api/auth/password", {"oldPassword": PASSWORD, "newPassword": "x"},
                        format="json", HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 403 and response.json() == {"message": "Origin not allowed!"}


def test_refresh_by_cookie_from_another_origin_is_403(api, alice, cookie_mode):
    cookie_mode("on")
    sign_in(api, alice)
    response = api.post("/api/auth/refreshtoken", {}, format="json", HTTP_ORIGIN="http://evil.example")
    assert response.status_code == 403 and response.json() == {"message": "Origin not allowed!"}
    assert not response.cookies


def test_a_bodiless_delete_by_cookie_needs_no_content_type(api, alice, cookie_mode):
    cookie_mode("on")
    sign_in(api, alice)
    session = Session.objects.get(user=alice)
    assert api.delete(f"/api/auth/sessions/{session.pk}", HTTP_ORIGIN=APP).status_code == 200
    sign_in(api, alice)
    session = Session.objects.filter(user=alice).live().get()
    refused = api.delete(f"/api/auth/sessions/{session.pk}", HTTP_ORIGIN="http://evil.example")
    assert refused.status_code == 403


def test_safe_requests_and_header_tokens_are_not_origin_checked(api, alice, cookie_mode, token_for):
    cookie_mode("on")
    sign_in(api, alice)
    assert api.get("/api/test/user", HTTP_ORIGIN="http://evil.example").status_code == 200
    # The cookies ride along, but the header token wins: no Origin needed, as for any header client.
    response = api.post("/api/auth/signout", {}, format="json", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200


# --- CORS ----------------------------------------------------------------------------------------


def preflight(api, origin):
    return api.options("/api/auth/signin", HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                       HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")


@pytest.mark.parametrize("mode", ["on", "both"])
def test_credentialed_cors_for_the_configured_origins_only(api, cookie_mode, mode, db):
    cookie_mode(mode)
    allowed = preflight(api, APP)
    assert allowed["Access-Control-Allow-Origin"] == APP
    assert allowed["Access-Control-Allow-Credentials"] == "true"
    other = preflight(api, "http://127.0.0.1:8081")
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Credentials" not in other


def test_no_credentials_in_cors_with_cookies_off(api, cookie_mode, db):
    cookie_mode("off")
    response = preflight(api, APP)
    assert response["Access-Control-Allow-Origin"] == APP
    assert "Access-Control-Allow-Credentials" not in response


# --- the docs and the admin ----------------------------------------------------------------------


def test_the_schema_documents_the_cookie_scheme(api, cookie_mode, db):
    cookie_mode("on")
    schema = api.get("/api/schema?format=json").json()
    assert schema["components"]["securitySchemes"]["cookieAuth"] == {
        "type": "apiKey", "in": "cookie", "name": ACCESS,
        "description": "Cookie mode: the HttpOnly access cookie set by signin (a header token wins).",
    }
    assert {"cookieAuth": []} in schema["paths"]["/api/test/user"]["get"]["security"]
    cookie_mode("off")
    assert "cookieAuth" not in api.get("/api/schema?format=json").json()["components"]["securitySchemes"]


def test_the_schema_describes_the_token_free_bodies_of_mode_on(api, cookie_mode, db):
    cookie_mode("on")
    schemas = api.get("/api/schema?format=json").json()["components"]["schemas"]
    assert set(schemas["SigninResponse"]["required"]) == {"id", "username", "email", "roles", "emailVerified"}
    assert "accessToken" not in schemas["SigninResponse"]["properties"]
    assert schemas["RefreshTokenResponse"]["properties"] == {}
    assert schemas["PasswordChanged"]["required"] == ["message"]
    for mode in ("both", "off"):
        cookie_mode(mode)
        schemas = api.get("/api/schema?format=json").json()["components"]["schemas"]
        assert "accessToken" in schemas["SigninResponse"]["required"]


def test_docs_and_admin_keep_working(api, cookie_mode, db):
    cookie_mode("on")
    assert api.get("/api/docs").status_code == 200
    assert api.get("/admin/login/").status_code == 200


# --- the tutorial's header clients in mode both -------------------------------------------------


def header_client_post(api, path, body, **extra):
    """A header client's request: JSON, from its origin, never with cookies (no withCredentials)."""
    api.cookies.clear()
    return api.post(path, body, format="json", HTTP_ORIGIN=APP, **extra)


def test_header_clients_work_unchanged_in_mode_both(api, alice, cookie_mode):
    cookie_mode("both")
    signed_in = header_client_post(api, "/api/auth/signin", {"username": "alice", "password": PASSWORD}).json()
    assert list(signed_in) == ["id", "username", "email", "roles", "emailVerified",
                               "accessToken", "refreshToken", "tokenType"]
    api.cookies.clear()
    board = api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=signed_in["accessToken"])
    assert board.content == b"User Content."
    refreshed = header_client_post(api, "/api/auth/refreshtoken", {"refreshToken": signed_in["refreshToken"]})
    assert set(refreshed.json()) == {"accessToken", "refreshToken"}
    assert refreshed.json()["refreshToken"] == signed_in["refreshToken"]
    signed_out = header_client_post(api, "/api/auth/signout", {"refreshToken": signed_in["refreshToken"]})
    assert signed_out.json() == {"message": "You've been signed out!"}
    assert live_sessions(alice) == 0
