"""
Email verification and change: POST /api/auth/email/verify, /email/verify/resend, /email, and
EMAIL_VERIFICATION=mandatory at signin. Mail through the real SMTP server (aiosmtpd).
"""

import re
from urllib.parse import unquote, urlsplit

import pytest
from django.core import signing

from accounts.models import User
from mail.models import OutboxMessage
from recovery.tokens import EMAIL_SALT

from .conftest import PASSWORD, link_in

VERIFY = "/api/auth/email/verify"
RESEND = "/api/auth/email/verify/resend"
CHANGE = "/api/auth/email"
INVALID = {"message": "Invalid or expired link!"}
TAKEN = {"message": "Failed! Email is already in use!"}


def token_in(message):
    match = re.fullmatch(r"/account/email/([^/]+)/", urlsplit(link_in(message)).path)
    assert match, link_in(message)
    return unquote(match[1])


@pytest.fixture
def mails(smtp, run_mailworker):
    """``mails()``: run the worker, return the mails it sent since the last call."""
    seen = [0]

    def new():
        run_mailworker()
        fresh = smtp.messages[seen[0]:]
        seen[0] = len(smtp.messages)
        return fresh

    return new


def test_signup_sends_a_verification_link(api, db, mails):
    response = api.post(
        "/api/auth/signup", {"username": "dave", "email": "dave@example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    [message] = mails()
    assert (message["To"], message["Subject"]) == ("dave@example.com", "authsite: confirm your email address")
    token = token_in(message)
    assert token not in str(list(OutboxMessage.objects.values()))  # composed at sending, not stored
    dave = User.objects.get(username="dave")
    assert not dave.email_verified
    response = api.post(VERIFY, {"token": token}, format="json")
    assert (response.status_code, response.json()) == (200, {"message": "Email verified!"})
    dave.refresh_from_db()
    assert dave.email_verified
    # Again: still fine (idempotent), and nothing else is mailed.
    assert api.post(VERIFY, {"token": token}, format="json").status_code == 200
    assert mails() == []


def test_me_and_signin_tell_whether_the_email_is_verified(api, alice, signin, token_for):
    assert signin(alice)["emailVerified"] is False
    User.objects.filter(pk=alice.pk).update(email_verified=True)
    assert signin(alice)["emailVerified"] is True
    assert api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=token_for(alice)).json()["emailVerified"] is True


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        signing.dumps({"u": 1, "e": "alice@example.com", "c": "alice@example.com"}, salt="another salt"),
        signing.dumps([1, 2], salt=EMAIL_SALT),
        signing.dumps({"u": 999999, "e": "x@example.com", "c": "x@example.com"}, salt=EMAIL_SALT),
    ],
    ids=["garbage", "other-salt", "not-an-object", "no-such-user"],
)
def test_bad_tokens_are_400(api, alice, token):
    response = api.post(VERIFY, {"token": token}, format="json")
    assert (response.status_code, response.json()) == (400, INVALID)


def test_an_expired_token_is_400(api, alice, mails, token_for, settings):
    api.post(RESEND, HTTP_X_ACCESS_TOKEN=token_for(alice))
    token = token_in(mails()[0])
    settings.EMAIL_VERIFY_TIMEOUT = -1
    assert api.post(VERIFY, {"token": token}, format="json").json() == INVALID


def test_resend(api, alice, mails, token_for):
    access = token_for(alice)
    response = api.post(RESEND, HTTP_X_ACCESS_TOKEN=access)
    assert (response.status_code, response.json()) == (200, {"message": "Verification email sent!"})
    [message] = mails()
    # Throttled per user (1 per 180 s by default).
    response = api.post(RESEND, HTTP_X_ACCESS_TOKEN=access)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 60
    api.post(VERIFY, {"token": token_in(message)}, format="json")
    response = api.post(RESEND, HTTP_X_ACCESS_TOKEN=access)
    assert (response.status_code, response.json()) == (400, {"message": "Email already verified!"})


@pytest.mark.parametrize("headers, status", [({}, 403), ({"HTTP_X_ACCESS_TOKEN": "nope"}, 401)])
@pytest.mark.parametrize("path", [RESEND, CHANGE])
def test_resend_and_change_need_a_token(api, db, headers, status, path):
    assert api.post(path, {}, format="json", **headers).status_code == status


def test_change_of_email(api, alice, make_user, mails, token_for, signin):
    access = token_for(alice)
    response = api.post(CHANGE, {"password": PASSWORD, "newEmail": "alice.new@example.org"}, format="json",
                        HTTP_X_ACCESS_TOKEN=access)
    assert (response.status_code, response.json()) == (
        200, {"message": "A confirmation link has been sent to the new email address."}
    )
    [message] = mails()
    assert (message["To"], message["Subject"]) == ("alice.new@example.org", "authsite: confirm your new email address")
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # not before the link is followed
    token = token_in(message)
    assert api.post(VERIFY, {"token": token}, format="json").status_code == 200
    alice.refresh_from_db()
    assert (alice.email, alice.email_verified) == ("alice.new@example.org", True)
    [notice] = mails()
    assert (notice["To"], notice["Subject"]) == ("alice@example.com", "authsite: your email address was changed")
    assert "alice.new@example.org" in notice.get_body(preferencelist=("plain",)).get_content()
    # The link works once; the new address is now the one sign-up and recovery see.
    assert api.post(VERIFY, {"token": token}, format="json").json() == INVALID
    response = api.post("/api/auth/signup", {"username": "x", "email": "ALICE.NEW@example.org", "password": PASSWORD},
                        format="json")
    assert response.json() == TAKEN


def test_change_refuses_a_wrong_password_and_counts_it(api, alice, token_for):
    response = api.post(CHANGE, {"password": "wrong one", "newEmail": "a2@example.com"}, format="json",
                        HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 400
    assert response.json() == {"message": "Password is incorrect!", "errors": {"password": ["Password is incorrect!"]}}
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("taken", ["bob@example.com", "BOB@Example.com", "bob@ｅxample.com"])
def test_change_to_a_taken_address_is_refused_as_signup_does(api, alice, make_user, token_for, taken):
    make_user("bob")
    response = api.post(CHANGE, {"password": PASSWORD, "newEmail": taken}, format="json",
                        HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert (response.status_code, response.json()) == (400, TAKEN)
    assert not OutboxMessage.objects.exists()


def test_change_to_the_same_address_is_refused(api, alice, token_for):
    response = api.post(CHANGE, {"password": PASSWORD, "newEmail": "ALICE@example.com"}, format="json",
                        HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert (response.status_code, response.json()) == (400, {"message": "This is already your email address!"})


def test_an_address_taken_before_the_link_is_followed(api, alice, make_user, mails, token_for):
    api.post(CHANGE, {"password": PASSWORD, "newEmail": "wanted@example.com"}, format="json",
             HTTP_X_ACCESS_TOKEN=token_for(alice))
    token = token_in(mails()[0])
    make_user("eve", email="Wanted@example.com")
    assert (api.post(VERIFY, {"token": token}, format="json").json()) == TAKEN
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_change_is_throttled_per_user(api, alice, token_for):
    access = token_for(alice)
    for address, status in [("a1@example.com", 200), ("a2@example.com", 429)]:
        response = api.post(CHANGE, {"password": PASSWORD, "newEmail": address}, format="json",
                            HTTP_X_ACCESS_TOKEN=access)
        assert response.status_code == status


@pytest.fixture
def mandatory(settings):
    settings.EMAIL_VERIFICATION = "mandatory"


def test_mandatory_verification_refuses_signin_until_verified(api, alice, mandatory, mails):
    body = {"username": "alice", "password": PASSWORD}
    response = api.post("/api/auth/signin", body, format="json")
    assert (response.status_code, response.json()) == (403, {"message": "Email not verified!"})
    assert not alice.sessions.exists()
    # The owner cannot sign in to ask for the link: the refusal sends it (throttled as resend).
    [message] = mails()
    assert api.post("/api/auth/signin", body, format="json").status_code == 403
    assert mails() == []
    api.post(VERIFY, {"token": token_in(message)}, format="json")
    response = api.post("/api/auth/signin", body, format="json")
    assert response.status_code == 200
    assert response.json()["emailVerified"] is True


def test_mandatory_verification_still_says_wrong_password_first(api, alice, mandatory):
    response = api.post("/api/auth/signin", {"username": "alice", "password": "wrong"}, format="json")
    assert (response.status_code, response.json()["message"]) == (401, "Invalid username or password!")


def test_verification_is_optional_by_default(api, alice):
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
