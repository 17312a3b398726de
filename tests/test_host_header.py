"""
Host header: every path refuses a Host outside DJANGO_ALLOWED_HOSTS with the JSON 400
(``{"message": "Bad request."}``, Django's own answer) before any other work: through the
production server with raw requests, and through the test client for each kind of path.
"""

import json

import pytest

from authsite.middleware import AllowedHostMiddleware
from tests.servers import http_request, raw_request

BAD_REQUEST = {"message": "Bad request."}
PATHS = ["/api/test/all", "/api/test/admin", "/healthz", "/readyz", "/api/schema", "/api/docs",
         "/.well-known/jwks.json", "/admin/login/", "/no/such/path"]


@pytest.fixture(scope="module")
def server(production_server):
    return production_server({"DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost"})


def signin_request(host):
    body = json.dumps({"username": "hostie", "password": "hostie pass 123"}).encode()
    return http_request(
        "POST", "/api/auth/signin", [("Host", host), ("Content-Type", "application/json")], body
    )


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "evil.example:80", ""])
def test_production_server_refuses_a_foreign_host_on_the_public_board(server, host):
    status, headers, body = raw_request(server.port, http_request("GET", "/api/test/all", [("Host", host)]))
    assert status == 400
    assert dict(headers)["content-type"] == "application/json"
    assert json.loads(body) == BAD_REQUEST


def test_production_server_refuses_a_foreign_host_at_sign_in_before_any_work(server):
    server.request(
        "POST", "/api/auth/signup", headers={"Content-Type": "application/json", "Host": "localhost"},
        body=json.dumps({"username": "hostie", "email": "hostie@example.com", "password": "hostie pass 123"}),
    )
    status, _, body = raw_request(server.port, signin_request("evil.example"))
    assert (status, json.loads(body)) == (400, BAD_REQUEST)
    # The same sign-in on an allowed host works: the 400 was the host, not the request.
    status, _, body = raw_request(server.port, signin_request("localhost:8080"))
    assert status == 200, body
    assert json.loads(body)["username"] == "hostie"


def test_production_server_serves_the_allowed_hosts(server):
    for host in ("127.0.0.1", f"127.0.0.1:{server.port}", "localhost"):
        status, _, body = raw_request(server.port, http_request("GET", "/api/test/all", [("Host", host)]))
        assert (status, body) == (200, b"Public Content.")


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_every_path_refuses_a_foreign_host(client, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == BAD_REQUEST


@pytest.mark.django_db
def test_a_forwarded_host_is_checked_too(client, settings):
    settings.USE_X_FORWARDED_HOST = True
    response = client.get("/api/test/all", HTTP_X_FORWARDED_HOST="evil.example")
    assert (response.status_code, response.json()) == (400, BAD_REQUEST)


def test_the_refusal_comes_before_any_other_middleware(settings):
    assert settings.MIDDLEWARE[0] == f"{AllowedHostMiddleware.__module__}.{AllowedHostMiddleware.__name__}"
