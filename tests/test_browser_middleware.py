"""
The browser middleware (sessions, CSRF, messages) serves the admin and never shows on the API:
no cookies, no CSRF page for a POST anywhere outside the admin (the catch-all 404 is CSRF-exempt).
"""

import pytest
from django.test import Client
from django.utils.functional import empty

pytestmark = pytest.mark.django_db

API_PATHS = ["/api/test/all", "/api/auth/signin", "/api/nowhere", "/healthz", "/readyz", "/api/schema"]


@pytest.fixture
def browser():
    """A client that enforces CSRF like a real browser request (the test client does not)."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("path", API_PATHS)
def test_api_responses_carry_no_session_or_csrf_cookie(browser, path):
    response = browser.get(path)
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.parametrize("path", ["/api/nowhere", "/api/test/all/x", "/api/", "/nowhere"])
def test_post_to_an_unknown_path_is_the_json_404_not_a_csrf_page(browser, path):
    response = browser.post(path, {"a": "b"})
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_signin_post_needs_no_csrf_token(browser):
    response = browser.post(
        "/api/auth/signin", {"username": "nobody", "password": "x"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_admin_login_page_still_sets_the_csrf_cookie(browser):
    response = browser.get("/admin/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert response["X-Frame-Options"] == "DENY"


def test_admin_post_without_csrf_token_is_refused(browser):
    response = browser.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_admin_login_still_uses_a_session(browser, make_user):
    make_user("boss", password="correct horse 12", is_staff=True, is_superuser=True)
    token = browser.get("/admin/login/").cookies["csrftoken"].value
    response = browser.post(
        "/admin/login/",
        {"username": "boss", "password": "correct horse 12", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert browser.get("/admin/").status_code == 200


def test_api_requests_build_no_message_storage(browser):
    response = browser.get("/api/test/all")
    messages = response.wsgi_request._messages
    assert messages._wrapped is empty  # never evaluated: no storage was made or saved


def test_admin_messages_still_reach_the_next_page(browser, make_user):
    make_user("boss2", password="correct horse 12", is_staff=True, is_superuser=True)
    browser.login(username="boss2", password="correct horse 12")
    add = browser.get("/admin/accounts/role/add/")
    token = add.cookies["csrftoken"].value if "csrftoken" in add.cookies else browser.cookies["csrftoken"].value
    response = browser.post("/admin/accounts/role/add/", {"name": "auditor", "csrfmiddlewaretoken": token},
                            follow=True)
    assert response.status_code == 200
    assert any("auditor" in str(message) for message in response.context["messages"])
