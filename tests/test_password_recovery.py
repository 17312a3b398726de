"""
POST /api/auth/password/forgot, /password/reset/verify, /password/reset: through a real SMTP
server (aiosmtpd), the link taken from the parsed mail.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from mail.models import OutboxMessage

from .conftest import PASSWORD, link_in

FORGOT = "/api/auth/password/forgot"
VERIFY = "/api/auth/password/reset/verify"
RESET = "/api/auth/password/reset"
SENT = "If an account has this email address, a link to reset its password has been sent to it."
INVALID = {"message": "Invalid or expired link!"}
NEW_PASSWORD = "a brand new secret 42"


def reset_link_parts(message):
    """``(uid, token)`` from the default link, ``<SITE_URL>/account/reset/<uid>/<token>/``."""
    match = re.fullmatch(r"/account/reset/([^/]+)/([^/]+)/", urlsplit(link_in(message)).path)
    assert match, link_in(message)
    return match.groups()


@pytest.fixture
def forgot(api, smtp, run_mailworker):
    """``forgot(address)``: ask for a link and run the worker; returns the mails received."""

    def ask(address):
        before = len(smtp.messages)
        response = api.post(FORGOT, {"email": address}, format="json")
        assert (response.status_code, response.json()) == (200, {"message": SENT})
        run_mailworker()
        return smtp.messages[before:]

    return ask


@pytest.mark.parametrize("path", [FORGOT, FORGOT + "/"])
def test_forgot_queues_and_sends_nothing_in_the_request(api, alice, smtp, run_mailworker, path):
    response = api.post(path, {"email": "alice@example.com"}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": SENT})
    assert "no-store" in response["Cache-Control"]
    row = OutboxMessage.objects.get()
    assert (row.kind, row.to, row.status) == ("password_reset", "alice@example.com", "pending")
    assert smtp.messages == []  # nothing went out inside the request
    run_mailworker()
    [message] = smtp.messages
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "authsite: reset your password"
    assert link_in(message).startswith("http://localhost:8080/account/reset/")


def test_unknown_addresses_get_the_same_answer_and_the_same_request_work(api, alice, smtp, run_mailworker):
    # The same queries for a known and an unknown address, no user lookup: that is the worker's.
    statements = []
    for address in ("alice@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = api.post(FORGOT, {"email": address}, format="json")
        assert (response.status_code, response.json()) == (200, {"message": SENT})
        # The throttle counters' queries (database cache) depend on the buckets, not the address.
        statements.append([
            re.sub(r"'[^']*'|\"s\d+_x\d+\"|`s\d+_x\d+`|\b\d+\b", "?", query["sql"])
            for query in queries
            if query["sql"] not in (None, "None")  # MySQLdb's connection health check
            and "authsite_cache" not in query["sql"] and "SAVEPOINT" not in query["sql"]
        ])
    assert statements[0] == statements[1]
    assert not any("accounts_user" in sql for sql in statements[0])
    assert sum("INSERT INTO" in sql and "mail_outboxmessage" in sql for sql in statements[0]) == 1
    run_mailworker()
    assert [m["To"] for m in smtp.messages] == ["alice@example.com"]
    assert OutboxMessage.objects.get(to="nobody@example.com").status == "skipped"


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"password": None}],
    ids=["inactive", "unusable-password"],
)
def test_only_active_users_with_a_usable_password_get_a_link(make_user, forgot, fields):
    user = make_user("bob")
    if fields.get("password", 1) is None:
        user.set_unusable_password()
    else:
        user.is_active = False
    user.save()
    assert forgot("bob@example.com") == []


def test_the_address_is_matched_as_signup_matches_it(make_user, forgot):
    make_user("carol", email="Carol@Example.com")
    [message] = forgot("CAROL@EXAMPLE.COM")
    assert message["To"] == "Carol@example.com"  # the account's own address, not the one typed


def test_the_link_round_trips_and_resets_everything(api, alice, signin, forgot):
    old = signin(alice)
    # Five failed sign-ins counted on the account.
    for _ in range(5):
        api.post("/api/auth/signin", {"username": "alice", "password": "wrong"}, format="json")
    [message] = forgot("alice@example.com")
    uid, token = reset_link_parts(message)
    assert token not in str(list(OutboxMessage.objects.values()))  # never stored

    response = api.post(VERIFY, {"uid": uid, "token": token}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "The link is valid."})
    response = api.post(RESET, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    assert (response.status_code, response.json()["message"]) == (200, "Password reset successfully! Sign in with the new password.")

    # The old sessions are dead, the old password is, the new one works.
    assert api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=old["accessToken"]).status_code == 401
    response = api.post("/api/auth/refreshtoken", {"refreshToken": old["refreshToken"]}, format="json")
    assert response.status_code == 403
    assert api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json").status_code == 401
    signin(alice, password=NEW_PASSWORD)
    # Single use.
    assert api.post(VERIFY, {"uid": uid, "token": token}, format="json").json() == INVALID
    response = api.post(RESET, {"uid": uid, "token": token, "newPassword": "yet another one 77"}, format="json")
    assert (response.status_code, response.json()) == (400, INVALID)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert alice.email_verified  # only the address's owner got the link


def test_reset_notifies_the_address(alice, api, forgot, smtp, run_mailworker):
    uid, token = reset_link_parts(forgot("alice@example.com")[0])
    api.post(RESET, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json")
    run_mailworker()
    notice = smtp.messages[-1]
    assert (notice["To"], notice["Subject"]) == ("alice@example.com", "authsite: your password was changed")


def test_reset_clears_the_account_lock_out(api, alice, forgot, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signin_user": "3/hour"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": settings.THROTTLE_RATES}
    for _ in range(3):
        api.post("/api/auth/signin", {"username": "alice", "password": "wrong"}, format="json")
    locked = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    uid, token = reset_link_parts(forgot("alice@example.com")[0])
    assert api.post(RESET, {"uid": uid, "token": token, "newPassword": NEW_PASSWORD}, format="json").status_code == 200
    response = api.post("/api/auth/signin", {"username": "alice", "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200, response.json()


def test_the_password_validators_apply(api, alice, forgot):
    uid, token = reset_link_parts(forgot("alice@example.com")[0])
    response = api.post(RESET, {"uid": uid, "token": token, "newPassword": "password"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["newPassword"][0] == "This password is too common."
    assert response.json()["message"] in response.json()["errors"]["newPassword"]
    # A refused password does not use the link up.
    assert api.post(VERIFY, {"uid": uid, "token": token}, format="json").status_code == 200


def test_a_sign_in_after_the_mail_kills_the_link(api, alice, signin, forgot):
    uid, token = reset_link_parts(forgot("alice@example.com")[0])
    User.objects.filter(pk=alice.pk).update(last_login="2030-01-01T00:00:00Z")
    assert api.post(VERIFY, {"uid": uid, "token": token}, format="json").json() == INVALID


def test_the_link_expires(api, alice, forgot, settings):
    uid, token = reset_link_parts(forgot("alice@example.com")[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert api.post(VERIFY, {"uid": uid, "token": token}, format="json").json() == INVALID


@pytest.mark.parametrize(
    "body",
    [
        {"uid": "MQ", "token": "nope"},
        {"uid": "!!!", "token": "c2t-0123456789abcdef"},
        {"uid": "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5", "token": "c2t-0123456789abcdef"},  # beyond 64 bits
        {"uid": "LTE", "token": "c2t-0123456789abcdef"},  # -1
        {"uid": "MTAwMDA", "token": "c2t-0123456789abcdef"},  # no such user
        {"uid": "w7w", "token": "x"},  # not ASCII
    ],
)
@pytest.mark.parametrize("path", [VERIFY, RESET])
def test_bad_links_are_400(api, alice, body, path):
    response = api.post(path, {**body, "newPassword": NEW_PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (400, INVALID)


@pytest.mark.parametrize(
    "path, body, field, message",
    [
        (FORGOT, {}, "email", "Email is required."),
        (FORGOT, {"email": "not-an-address"}, "email", "Email must be a valid email address."),
        (FORGOT, {"email": 42}, "email", "Email must be a string."),
        (VERIFY, {"token": "x"}, "uid", "uid is required."),
        (VERIFY, {"uid": ["MQ"], "token": "x"}, "uid", "uid must be a string."),
        (RESET, {"uid": "MQ", "token": "x"}, "newPassword", "New password is required."),
        (RESET, {"uid": "MQ", "token": "x" * 513, "newPassword": "p"}, "token", "Token must be at most 512 characters."),
    ],
)
def test_malformed_bodies_are_400(api, db, path, body, field, message):
    response = api.post(path, body, format="json")
    assert response.status_code == 400
    assert response.json() == {"message": message, "errors": {field: [message]}}


def test_form_bodies_work(api, alice, smtp, run_mailworker):
    response = api.post(FORGOT, "email=alice%40example.com", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    run_mailworker()
    assert len(smtp.messages) == 1


def test_the_link_target_comes_from_settings_not_the_host(api, alice, smtp, run_mailworker, settings):
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset?uid={uid}&token={token}"
    # A host outside ALLOWED_HOSTS never gets this far (refused first, nothing queued) ...
    response = api.post(FORGOT, {"email": "alice@example.com"}, format="json", HTTP_HOST="evil.example.net")
    assert response.status_code == 400
    assert OutboxMessage.objects.count() == 0
    # ... and an allowed one other than the link's still does not pick the link.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "internal.example.net"]
    api.post(FORGOT, {"email": "alice@example.com"}, format="json", HTTP_HOST="internal.example.net")
    run_mailworker()
    link = link_in(smtp.messages[0])
    assert re.fullmatch(r"https://app\.example\.com/reset\?uid=[\w-]+&token=[\w-]+", link), link
    html = smtp.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "internal" not in html and "&amp;token=" in html


def test_forgot_is_throttled_per_email_then_per_address(api, db):
    # 5 per minute for one address, however it is spelled...
    for spelling in ["a@example.com", "A@example.com", "a@EXAMPLE.com", "a@example.com", "A@Example.com"]:
        assert api.post(FORGOT, {"email": spelling}, format="json").status_code == 200
    response = api.post(FORGOT, {"email": "a@example.com"}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"]
    assert OutboxMessage.objects.count() == 5
    # ... and 20 per minute from one client address (the refused one was not counted).
    for number in range(15):
        assert api.post(FORGOT, {"email": f"other{number}@example.com"}, format="json").status_code == 200
    assert api.post(FORGOT, {"email": "fresh@example.com"}, format="json").status_code == 429


@pytest.mark.parametrize("path", [VERIFY, RESET])
def test_link_checks_are_throttled_per_address(api, db, path):
    body = {"uid": "MQ", "token": "guess", "newPassword": NEW_PASSWORD}
    for _ in range(20):
        assert api.post(path, body, format="json").status_code == 400
    response = api.post(path, body, format="json")
    assert response.status_code == 429
    assert response.json()["message"].startswith("Request was throttled.")


def test_throttle_rates_come_from_settings(api, db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.THROTTLE_RATES, "forgot_email": "1/10min"},
    }
    assert api.post(FORGOT, {"email": "a@example.com"}, format="json").status_code == 200
    response = api.post(FORGOT, {"email": "a@example.com"}, format="json")
    assert response.status_code == 429
    assert 60 < int(response["Retry-After"]) <= 1200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_link_used_twice_at_once_resets_once(make_user, smtp, run_mailworker):
    from rest_framework.test import APIClient

    from .conftest import concurrently

    make_user("alice")
    APIClient().post(FORGOT, {"email": "alice@example.com"}, format="json")
    run_mailworker()
    uid, token = reset_link_parts(smtp.messages[0])
    passwords = ["first new secret 11", "second new secret 22"]
    statuses = concurrently(2, lambda i: APIClient().post(
        RESET, {"uid": uid, "token": token, "newPassword": passwords[i]}, format="json").status_code)
    assert sorted(statuses) == [200, 400]
    alice = User.objects.get(username="alice")
    assert alice.check_password(passwords[statuses.index(200)])
    assert OutboxMessage.objects.filter(kind="password_changed").count() == 1


@pytest.mark.parametrize(
    "path, body",
    [
        (FORGOT, {"email": "alice@example.com"}),
        (VERIFY, {"uid": "MQ", "token": "x"}),
        (RESET, {"uid": "MQ", "token": "x", "newPassword": NEW_PASSWORD}),
        ("/api/auth/email/verify", {"token": "x"}),
    ],
)
def test_an_unreachable_shared_cache_is_503_and_queues_nothing(alice, settings, path, body):
    from rest_framework.test import APIClient

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:8709/3"}}
    response = APIClient(raise_request_exception=False).post(path, body, format="json")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response.json() == {"message": "Service temporarily unavailable. Please try again shortly."}
    assert not OutboxMessage.objects.exists()


def test_the_reset_page_with_an_unreachable_shared_cache_is_503(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:8709/3"}}
    response = client.get("/account/reset/MQ/x/")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
