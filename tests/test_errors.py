"""The one error shape: {"message": ...} for every error, never `detail`, HTML or a traceback."""

import json
import logging

import pytest
from django.db import OperationalError
from django.test import Client

from accounts.models import Role, Session, User

from .conftest import PASSWORD

ENDPOINTS = {
    "/api/auth/signup": "POST",
    "/api/auth/signin": "POST",
    "/api/auth/refreshtoken": "POST",
    "/api/auth/signout": "POST",
    "/api/test/all": "GET",
    "/api/test/user": "GET",
    "/api/test/mod": "GET",
    "/api/test/admin": "GET",
}


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert isinstance(data["message"], str) and data["message"]
    assert "detail" not in data
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/nope", "/api/auth/nope", "/api/test/nope/", "/api", "/nope", "/"])
def test_unknown_route_is_json_404(api, path):
    assert assert_json_error(api.get(path), 404) == {"message": "Not found."}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/nope", "/nope"])
def test_unknown_route_is_json_404_with_debug_on(api, path, settings):
    settings.DEBUG = True
    assert_json_error(api.get(path), 404)


@pytest.mark.django_db
@pytest.mark.parametrize("path,method", ENDPOINTS.items())
def test_wrong_method_is_json_405(api, make_user, token_for, path, method):
    boss = make_user("boss", roles=[Role.USER, Role.MODERATOR, Role.ADMIN])
    api.credentials(HTTP_X_ACCESS_TOKEN=token_for(boss))
    wrong = "get" if method == "POST" else "post"
    data = assert_json_error(getattr(api, wrong)(path), 405)
    assert data == {"message": f'Method "{wrong.upper()}" not allowed.'}
    assert_json_error(api.put(path), 405)
    assert_json_error(api.delete(path + "/"), 405)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/test/user", "/api/test/mod", "/api/test/admin"])
def test_wrong_method_without_a_token_is_refused_first(api, path):
    assert assert_json_error(api.post(path), 403) == {"message": "No token provided!"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p, m in ENDPOINTS.items() if m == "POST"])
@pytest.mark.parametrize(
    "raw",
    ['{"username":', "{'single': 'quotes'}", "NaN", "[" * 20000 + "]" * 20000, '{"a": "\\ud800"}x'],
    ids=["truncated", "single-quotes", "nan", "deeply-nested", "trailing-garbage"],
)
def test_malformed_json_is_400(api, path, raw):
    response = api.generic("POST", path, raw, content_type="application/json")
    assert assert_json_error(response, 400)["message"].startswith("JSON parse error")


@pytest.mark.django_db
def test_non_utf8_json_is_400(api):
    response = api.generic("POST", "/api/auth/signin", b'{"username": "\xff"}', content_type="application/json")
    assert_json_error(response, 400)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p, m in ENDPOINTS.items() if m == "POST"])
def test_body_over_the_limit_is_413(api, path, settings):
    body = '{"username": "' + "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    response = api.generic("POST", path, body, content_type="application/json")
    assert assert_json_error(response, 413)["message"].startswith("Request body too large")


@pytest.mark.django_db
def test_body_at_the_limit_is_parsed(api, settings):
    padding = settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len('{"username": "", "password": "x"}')
    body = '{"username": "' + "a" * padding + '", "password": "x"}'
    response = api.generic("POST", "/api/auth/signin", body, content_type="application/json")
    assert response.status_code == 400  # parsed, and refused as too long a username


@pytest.mark.django_db
def test_unsupported_media_type_is_json_415(api):
    response = api.generic("POST", "/api/auth/signin", "<x/>", content_type="application/xml")
    assert assert_json_error(response, 415) == {"message": 'Unsupported media type "application/xml" in request.'}


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/xml", "text/html", "image/png", "text/plain"])
def test_any_accept_header_gets_json(api, alice, accept):
    response = api.post(
        "/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json", HTTP_ACCEPT=accept
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_unexpected_error_is_json_500_and_logged(alice, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Session.objects, "start", explode)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="authsite.errors"):
        response = client.post(
            "/api/auth/signin", {"username": "alice", "password": PASSWORD}, content_type="application/json"
        )
    assert assert_json_error(response, 500) == {"message": "Internal server error."}
    assert b"secret internals" not in response.content
    assert "secret internals" in caplog.text


@pytest.mark.django_db
def test_database_outage_is_json_503(alice, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("(2003, \"Can't connect to MySQL server\")")

    monkeypatch.setattr(User.objects, "get_by_natural_key", down)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/api/auth/signin", {"username": "alice", "password": PASSWORD}, content_type="application/json"
    )
    assert assert_json_error(response, 503)["message"].startswith("Service temporarily unavailable")
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_error_outside_the_api_views_is_json_500(monkeypatch):
    from django.contrib.admin import sites

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sites.AdminSite, "each_context", explode)
    client = Client(raise_request_exception=False)
    assert_json_error(client.get("/admin/login/"), 500)


# CORS

ORIGIN = "http://localhost:8081"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/auth/signin", "/api/test/user"])
def test_cors_preflight_allows_the_clients_headers(api, path):
    response = api.options(
        path,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-access-token, authorization, content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"x-access-token", "authorization", "content-type"} <= allowed


@pytest.mark.django_db
def test_cors_refuses_other_origins(api):
    response = api.get("/api/test/all", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_cors_origins_come_from_configuration(api, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    assert api.get("/api/test/all", HTTP_ORIGIN="https://app.example.com")["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in api.get("/api/test/all", HTTP_ORIGIN=ORIGIN)


HOSTILE_BODIES = [
    ("/api/auth/signin", '{"username": "a\\ud800b", "password": "x"}'),
    ("/api/auth/signin", '{"username": "alice", "password": "x\\ud800"}'),
    ("/api/auth/signin", '{"username": "al\\u0000ice", "password": "x"}'),
    ("/api/auth/signup", '{"username": "a\\ud800b", "email": "a@example.com", "password": "correct horse 12"}'),
    ("/api/auth/signup", '{"username": "ab", "email": "a\\ud800@example.com", "password": "correct horse 12"}'),
    ("/api/auth/signup", '{"username": "ab", "email": "a@example.com", "password": "correct horse 12\\ud800"}'),
    ("/api/auth/signup", '{"username": "ab", "email": "a@example.com", "password": "correct horse 12", "roles": ["\\ud800"]}'),
    ("/api/auth/refreshtoken", '{"refreshToken": "\\ud800"}'),
    ("/api/auth/signout", '{"refreshToken": "\\ud800\\u0000"}'),
]


@pytest.mark.django_db
@pytest.mark.parametrize("path,raw", HOSTILE_BODIES)
def test_unencodable_strings_are_refused_not_500(api, alice, path, raw):
    response = api.generic("POST", path, raw, content_type="application/json")
    assert response.status_code in (200, 400, 403)
    assert "message" in response.json()
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("length", ["abc", "-"])
def test_unreadable_content_length_is_json_400(length):
    response = Client().generic(
        "POST", "/api/auth/signin", b"{}", content_type="application/json", CONTENT_LENGTH=length
    )
    assert assert_json_error(response, 400) == {"message": "Invalid Content-Length header."}


def test_django_level_403_is_json(rf):
    from authsite.exceptions import permission_denied

    response = permission_denied(rf.get("/admin/"))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"message": "You do not have permission to perform this action."}
