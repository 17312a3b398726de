"""
Response headers that protect callers: answers that depend on the caller are never kept by a
shared cache (``Cache-Control: private, no-store``), and the 413 of the body limit carries the
CORS headers (a browser shows the client the JSON, not a CORS error).
"""

import pytest
from django.conf import settings

ORIGIN = "http://localhost:8081"


def directives(response):
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/test/user", "/api/test/mod", "/api/test/admin"])
def test_protected_boards_are_private_no_store(api, admin_user, token_for, path):
    admin_user.roles.add(*admin_user.roles.model.objects.all())
    response = api.get(path, HTTP_X_ACCESS_TOKEN=token_for(admin_user))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/test/user", "/api/test/admin", "/api/auth/me", "/no/such/path", "/healthz"])
def test_refusals_and_other_answers_are_private_no_store(api, path):
    response = api.get(path)
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.django_db
def test_the_public_board_alone_may_be_cached_briefly(api):
    response = api.get("/api/test/all")
    assert directives(response) == {"public", "max-age=60"}


def test_the_413_carries_the_cors_headers(client):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/api/auth/signin", body, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 413
    assert response.json() == {"message": f"Request body too large (limit {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)."}
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_the_413_names_no_foreign_origin(client):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post("/api/auth/signin", body, content_type="application/json", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 413
    assert "Access-Control-Allow-Origin" not in response
