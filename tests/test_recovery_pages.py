"""authsite's own pages for the mailed links (/account/...): the token leaves the URL, CSRF, validators."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from accounts.models import User

from .conftest import link_in

NEW_PASSWORD = "a brand new secret 42"


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def reset_path(api, alice, smtp, run_mailworker):
    api.post("/api/auth/password/forgot", {"email": "alice@example.com"}, format="json")
    run_mailworker()
    return urlsplit(link_in(smtp.messages[0])).path


def csrf_of(response):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def test_reset_page_flow(browser, alice, signin, token_for, reset_path, api):
    old_access = token_for(alice)  # a session opened before (a sign-in would kill the link)
    token = reset_path.rstrip("/").rsplit("/", 1)[1]
    response = browser.get(reset_path)
    # The token leaves the URL before any page shows, and the redirect sends no Referer.
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    assert token not in response["Location"]
    assert re.fullmatch(r"/account/reset/[\w-]+/set-password/", response["Location"])
    form = browser.get(response["Location"])
    assert form.status_code == 200
    assert form["Referrer-Policy"] == "same-origin"
    assert "no-store" in form["Cache-Control"]
    assert form["X-Frame-Options"] == "DENY"
    page = form.content.decode()
    assert token not in page
    assert '<label for="id_new_password1">New password</label>' in page
    assert "alice" in page

    # No CSRF token: refused.
    refused = browser.post(response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert refused.status_code == 403
    # The validators apply, and a refusal keeps the link usable.
    weak = browser.post(response["Location"], {"new_password1": "password", "new_password2": "password",
                                               "csrfmiddlewaretoken": csrf_of(form)})
    assert weak.status_code == 400
    assert "This password is too common." in weak.content.decode()
    mismatch = browser.post(response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x",
                                                   "csrfmiddlewaretoken": csrf_of(form)})
    assert mismatch.status_code == 400
    done = browser.post(response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
                                               "csrfmiddlewaretoken": csrf_of(form)})
    assert done.status_code == 200
    assert "Password changed" in done.content.decode()
    # As the API's reset: old sessions dead, new password works, link used up.
    assert api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=old_access).status_code == 401
    signin(alice, password=NEW_PASSWORD)
    assert browser.get(reset_path).status_code == 400
    assert browser.get(response["Location"]).status_code == 400


def test_a_bad_reset_link_shows_an_error_page(browser, db):
    response = browser.get("/account/reset/MQ/nope/")
    assert response.status_code == 400
    assert response["Referrer-Policy"] == "no-referrer"
    assert "This link does not work" in response.content.decode()
    assert browser.get("/account/reset/MQ/set-password/").status_code == 400  # no link in the session


def test_the_form_needs_the_link_of_its_own_uid(browser, make_user, reset_path):
    bob = make_user("bob")
    from recovery.tokens import encode_uid

    assert browser.get(reset_path).status_code == 302
    assert browser.get(f"/account/reset/{encode_uid(bob)}/set-password/").status_code == 400


def test_reset_pages_are_throttled_per_address(browser, db):
    for _ in range(20):
        assert browser.get("/account/reset/MQ/guess/").status_code == 400
    response = browser.get("/account/reset/MQ/guess/")
    assert response.status_code == 429
    assert response["Retry-After"]


def test_email_confirmation_page(browser, alice, api, token_for, smtp, run_mailworker):
    api.post("/api/auth/email/verify/resend", HTTP_X_ACCESS_TOKEN=token_for(alice))
    run_mailworker()
    path = urlsplit(link_in(smtp.messages[0])).path
    token = path.rstrip("/").rsplit("/", 1)[1]
    response = browser.get(path)
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Location"] == "/account/email/confirm/"
    page = browser.get(response["Location"])
    assert page.status_code == 200
    assert token not in page.content.decode()
    assert "alice@example.com" in page.content.decode()
    alice.refresh_from_db()
    assert not alice.email_verified  # opening the link (a mail scanner) confirms nothing
    done = browser.post(response["Location"], {"csrfmiddlewaretoken": csrf_of(page)})
    assert done.status_code == 200
    assert "confirmed" in done.content.decode()
    assert User.objects.get(pk=alice.pk).email_verified


def test_a_bad_email_link_shows_an_error_page(browser, db):
    assert browser.get("/account/email/nope/").status_code == 400
    assert browser.get("/account/email/confirm/").status_code == 400


def test_pages_refuse_other_methods(client, db):
    assert client.put("/account/email/confirm/").status_code == 405
    assert client.post("/account/reset/MQ/nope/").status_code == 405


def test_the_session_never_holds_a_token(browser, alice, reset_path, api, token_for, smtp, run_mailworker):
    from django.contrib.sessions.models import Session as DjangoSession

    token = reset_path.rstrip("/").rsplit("/", 1)[1]
    browser.get(reset_path)
    api.post("/api/auth/email/verify/resend", HTTP_X_ACCESS_TOKEN=token_for(alice))
    run_mailworker()
    email_path = urlsplit(link_in(smtp.messages[-1])).path
    email_token = email_path.rstrip("/").rsplit("/", 1)[1]
    browser.get(email_path)
    [stored] = DjangoSession.objects.all()
    data = str(stored.get_decoded())
    assert "_password_reset" in data and "_email_token" in data
    assert token not in data and email_token not in data
    # The stand-in of the email token is no email token.
    grant = stored.get_decoded()["_email_token"]
    assert api.post("/api/auth/email/verify", {"token": grant}, format="json").status_code == 400


def test_the_reset_form_dies_with_a_sign_in(browser, alice, reset_path, signin):
    location = browser.get(reset_path)["Location"]
    assert browser.get(location).status_code == 200
    signin(alice)  # last_login changes: the link, and the page's grant, die
    assert browser.get(location).status_code == 400
