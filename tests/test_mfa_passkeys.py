"""
A passkey as the second factor (issue 14: "or use one as the second factor"), through the API with
the software authenticator (tests/webauthn_authenticator.py): when the password step asks for it,
``POST /api/auth/passkeys/signin/begin {mfaToken}`` and ``POST /api/auth/signin/mfa {mfaToken,
credential}``; and the sign-ins that deliberately never ask (passwordless passkey, OIDC, proxy).
The browser proof is tests/test_browser_passkeys.py.
"""

import json
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.messages import (
    MFA_CODE_AND_CREDENTIAL,
    MFA_CODE_INVALID,
    MFA_CODE_OR_CREDENTIAL_REQUIRED,
    MFA_TOKEN_INVALID,
    ORIGIN_NOT_ALLOWED,
    PASSKEY_SIGNIN_FAILED,
    SECOND_FACTOR_REQUIRED,
    SECOND_FACTOR_SETUP_REQUIRED,
)
from accounts.models import Role, Session
from mfa import pending
from mfa.models import PendingSignin
from passkeys.models import Passkey, PasskeyChallenge

from .conftest import PASSWORD, concurrently
from .webauthn_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

SIGNIN, MFA = "/api/auth/signin", "/api/auth/signin/mfa"
BEGIN, COMPLETE = "/api/auth/passkeys/signin/begin", "/api/auth/passkeys/signin/complete"
SIGNIN_FIELDS = {"id", "username", "email", "roles", "accessToken", "refreshToken", "tokenType", "emailVerified"}


def post(api, path, body=None, **extra):
    return api.post(path, body, format="json", **extra)


def password_step(api, username="alice"):
    api.credentials()
    return post(api, SIGNIN, {"username": username, "password": PASSWORD})


def mfa_token(api, username="alice"):
    response = password_step(api, username)
    assert response.status_code == 401, response.content
    return response.json()["mfaToken"]


def second_step_options(api, token):
    response = post(api, BEGIN, {"mfaToken": token})
    assert response.status_code == 200, response.content
    return response.json()


def passkey_step(api, token, authenticator, **bend):
    """begin {mfaToken} → the authenticator's assertion → signin/mfa {mfaToken, credential}."""
    credential = authenticator.get(second_step_options(api, token), **bend)
    return post(api, MFA, {"mfaToken": token, "credential": credential})


def passkey_step_with_spare(api, token, authenticator):
    """signin/mfa with ``token`` and a fresh assertion, for a challenge from another pending token of the user."""
    spare = mfa_token(api)
    return post(api, MFA, {"mfaToken": token, "credential": authenticator.get(second_step_options(api, spare))})


@pytest.fixture
def with_passkey(register):
    """``with_passkey(user)``: registers a passkey for ``user`` (the fixture's authenticator holds it)."""

    def add(user):
        response = register(user, name="laptop")
        assert response.status_code == 200, response.content
        return Passkey.objects.get(pk=response.json()["id"])

    return add


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = [Role.ADMIN, Role.MODERATOR]


# --- When the password step asks for a passkey ------------------------------------------------------

def test_a_totp_user_with_a_passkey_is_offered_it(api, alice, enable_totp, with_passkey):
    enable_totp(alice)
    with_passkey(alice)
    response = password_step(api)
    assert response.status_code == 401
    assert response.json() == {"message": SECOND_FACTOR_REQUIRED, "mfaToken": response.json()["mfaToken"],
                               "methods": ["totp", "recovery_code", "passkey"]}


def test_a_totp_user_without_a_passkey_is_offered_codes_only(api, alice, enable_totp):
    enable_totp(alice)
    assert password_step(api).json()["methods"] == ["totp", "recovery_code"]


def test_a_passkey_alone_leaves_password_sign_in_unchanged(api, alice, with_passkey, django_assert_num_queries,
                                                           settings):
    """Registering a passkey chooses passwordless sign-in, not a stricter password sign-in."""
    with_passkey(alice)
    settings.THROTTLE_ENABLED = False
    with CaptureQueriesContext(connection) as queries:
        response = password_step(api)
    assert response.status_code == 200 and set(response.json()) == SIGNIN_FIELDS
    assert not [q for q in queries.captured_queries if "passkeys_" in q["sql"]]  # not even asked


def test_a_passkey_satisfies_the_required_roles(api, admin_user, required, with_passkey):
    assert password_step(api, admin_user.username).json()["message"] == SECOND_FACTOR_SETUP_REQUIRED
    with_passkey(admin_user)
    response = password_step(api, admin_user.username)
    assert response.status_code == 401
    assert response.json() == {"message": SECOND_FACTOR_REQUIRED, "mfaToken": response.json()["mfaToken"],
                               "methods": ["passkey"]}
    assert PendingSignin.objects.filter(user=admin_user, purpose=PendingSignin.Purpose.SETUP).count() == 1


def test_a_required_role_with_totp_and_a_passkey_is_offered_both(api, moderator, required, enable_totp,
                                                                  with_passkey):
    enable_totp(moderator)
    with_passkey(moderator)
    assert password_step(api, moderator.username).json()["methods"] == ["totp", "recovery_code", "passkey"]


# --- signin/begin {mfaToken} --------------------------------------------------------------------------

def test_begin_with_a_token_lists_that_users_passkeys_only(api, alice, make_user, enable_totp, with_passkey,
                                                           register):
    enable_totp(alice)
    mine = with_passkey(alice)
    bob = make_user("bob")
    assert register(bob).status_code == 200
    token = mfa_token(api)
    options = second_step_options(api, token)
    assert [c["id"] for c in options["allowCredentials"]] == [mine.credential_id]
    assert options["userVerification"] == "required" and options["rpId"] == "localhost"
    assert PasskeyChallenge.objects.get().user == alice
    # Asking for options uses nothing up: the token still redeems.
    assert PendingSignin.objects.filter(user=alice).count() == 1


def test_begin_without_a_token_stays_passwordless(api):
    for body in (None, {}):
        response = post(api, BEGIN, body)
        assert response.status_code == 200 and response.json()["allowCredentials"] == []
    assert list(PasskeyChallenge.objects.values_list("user", flat=True)) == [None, None]


@pytest.mark.parametrize("token", ["not-a-token", "", "x" * 200])
def test_begin_with_a_bad_token_is_401(api, token):
    response = post(api, BEGIN, {"mfaToken": token})
    if token == "":
        assert response.status_code == 400  # a blank field
        return
    assert (response.status_code, response.json()) == (401, {"message": MFA_TOKEN_INVALID})
    assert not PasskeyChallenge.objects.exists()


def test_begin_refuses_a_used_expired_or_setup_token(api, alice, admin_user, required, enable_totp,
                                                     totp_clock, with_passkey):
    secret, _ = enable_totp(alice)
    token = mfa_token(api)
    assert post(api, MFA, {"mfaToken": token, "code": totp_clock.code(secret)}).status_code == 200
    assert post(api, BEGIN, {"mfaToken": token}).json() == {"message": MFA_TOKEN_INVALID}  # used
    setup_token = password_step(api, admin_user.username).json()["setupToken"]
    assert post(api, BEGIN, {"mfaToken": setup_token}).status_code == 401  # not a sign-in token


def test_begin_body_errors(api):
    response = post(api, BEGIN, {"mfaToken": "x" * 201})
    assert response.status_code == 400
    assert response.json()["errors"]["mfaToken"] == ["Ensure this field has no more than 200 characters."]
    response = api.post(BEGIN, "{", content_type="application/json")
    assert response.status_code == 400 and response.json()["message"].startswith("JSON parse error")


# --- signin/mfa {mfaToken, credential} -------------------------------------------------------------

@pytest.fixture
def alice_with_both(alice, enable_totp, with_passkey):
    secret, codes = enable_totp(alice)
    return with_passkey(alice)


def test_the_passkey_completes_the_sign_in(api, alice, alice_with_both, authenticator, caplog):
    token = mfa_token(api)
    sessions = Session.objects.filter(user=alice).count()
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = passkey_step(api, token, authenticator)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == SIGNIN_FIELDS and body["username"] == "alice"
    assert api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=body["accessToken"]).json()["username"] == "alice"
    assert Session.objects.filter(user=alice).count() == sessions + 1
    alice_with_both.refresh_from_db()
    assert alice_with_both.sign_count == 1 and alice_with_both.last_used_at is not None
    assert any(json.loads(r.getMessage()) == {"event": "passkey_signin", "ip": "127.0.0.1", "user": alice.pk,
                                              "passkey": alice_with_both.pk, "step": "mfa"} for r in caplog.records)
    # Single use: the token is gone, whatever comes next.
    for again in (post(api, BEGIN, {"mfaToken": token}), passkey_step_with_spare(api, token, authenticator)):
        assert (again.status_code, again.json()) == (401, {"message": MFA_TOKEN_INVALID})
    assert not PendingSignin.objects.filter(token_digest=pending.digest(token)).exists()


def test_a_required_role_signs_in_with_password_and_passkey(api, admin_user, required, with_passkey,
                                                            authenticator):
    with_passkey(admin_user)
    response = passkey_step(api, mfa_token(api, admin_user.username), authenticator)
    assert response.status_code == 200 and "ROLE_ADMIN" in response.json()["roles"]


def test_a_code_still_works_for_a_user_with_a_passkey(api, alice, enable_totp, totp_clock, with_passkey):
    secret, _ = enable_totp(alice)
    with_passkey(alice)
    response = post(api, MFA, {"mfaToken": mfa_token(api), "code": totp_clock.code(secret)})
    assert response.status_code == 200


def test_a_passkey_only_user_has_no_code(api, admin_user, required, with_passkey):
    with_passkey(admin_user)
    response = post(api, MFA, {"mfaToken": mfa_token(api, admin_user.username), "code": "123456"})
    assert (response.status_code, response.json()) == (401, {"message": MFA_CODE_INVALID})


@pytest.mark.parametrize("body,message", [
    ({"code": "123456", "credential": {"id": "x"}}, MFA_CODE_AND_CREDENTIAL),
    ({}, MFA_CODE_OR_CREDENTIAL_REQUIRED),
], ids=["both", "neither"])
def test_exactly_one_of_code_and_credential(api, alice, alice_with_both, body, message, account_rate):
    account_rate("1/hour")
    token = mfa_token(api)
    for _ in range(2):  # costs the account nothing: no factor was checked
        response = post(api, MFA, {"mfaToken": token, **body})
        assert (response.status_code, response.json()) == (400, {"message": message})
    assert PendingSignin.objects.filter(user=alice).exists()


def test_a_null_credential_is_a_field_error(api, alice, alice_with_both):
    response = post(api, MFA, {"mfaToken": mfa_token(api), "credential": None})
    assert response.status_code == 400 and response.json()["errors"]["credential"] == ["This field may not be null."]


def refused(api, token, credential, reason, caplog, event="mfa_failed"):
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        response = post(api, MFA, {"mfaToken": token, "credential": credential})
    assert (response.status_code, response.json()) == (401, {"message": PASSKEY_SIGNIN_FAILED})
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "authsite.security"]
    assert any(r["event"] == event and r.get("reason") == reason and r.get("method") == "passkey" for r in records)


@pytest.mark.parametrize("bend,reason", [
    ({"origin": "https://evil.example"}, "verification"),
    ({"rp_id": "evil.example"}, "verification"),
    ({"user_verified": False}, "verification"),
], ids=["foreign-origin", "wrong-rp-id", "no-user-verification"])
def test_refused_assertions_leave_the_token_usable(api, alice, alice_with_both, authenticator, bend, reason,
                                                  caplog):
    token = mfa_token(api)
    refused(api, token, authenticator.get(second_step_options(api, token), **bend), reason, caplog)
    assert passkey_step(api, token, authenticator).status_code == 200


def test_another_accounts_passkey_is_refused(api, alice, alice_with_both, make_user, caplog):
    bob, bobs_device = make_user("bob"), SoftAuthenticator()
    # Bob's passkey, on his own device, answering the challenge of alice's second step.
    from passkeys import ceremonies
    bobs_device.create(ceremonies.registration_options(bob))
    token = mfa_token(api)
    refused(api, token, bobs_device.get(second_step_options(api, token)), "unknown_credential", caplog)


def test_a_passwordless_challenge_cannot_complete_a_second_step(api, alice, alice_with_both, authenticator,
                                                                caplog):
    token = mfa_token(api)
    unbound = post(api, BEGIN).json()  # not bound to alice
    refused(api, token, authenticator.get(unbound), "challenge", caplog)


def test_an_assertion_works_once(api, alice, alice_with_both, authenticator, caplog):
    first, second = mfa_token(api), mfa_token(api)
    assertion = authenticator.get(second_step_options(api, first))
    assert post(api, MFA, {"mfaToken": first, "credential": assertion}).status_code == 200
    refused(api, second, assertion, "challenge", caplog)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_passkey_steps_redeem_the_token_once(admin_user, required, settings):
    """Four valid assertions (an authenticator without a counter, so none is stale) race for one token."""
    from rest_framework.test import APIClient

    from passkeys import ceremonies

    settings.THROTTLE_ENABLED = False
    device = SoftAuthenticator(counting=False)
    credential = device.create(ceremonies.registration_options(admin_user))
    ceremonies.save_passkey(admin_user, ceremonies.verify_registration(admin_user, credential), "key")
    api = APIClient()
    token = mfa_token(api, admin_user.username)
    assertions = [device.get(second_step_options(api, token)) for _ in range(4)]
    responses = concurrently(4, lambda i: post(APIClient(), MFA, {"mfaToken": token, "credential": assertions[i]}))
    assert sorted(response.status_code for response in responses) == [200, 401, 401, 401]
    assert {response.json()["message"] for response in responses if response.status_code == 401} == {
        MFA_TOKEN_INVALID
    }


def test_malformed_credentials_are_refused(api, alice, alice_with_both, caplog):
    token = mfa_token(api)
    for credential in ({}, [], "text", 7, {"id": "x", "response": {}}):
        refused(api, token, credential, "malformed", caplog)


def test_a_stale_sign_counter_is_refused_and_logged_as_a_clone(api, alice, alice_with_both, authenticator,
                                                               caplog):
    assert passkey_step(api, mfa_token(api), authenticator).status_code == 200
    [stored] = authenticator.credentials.values()
    stored.sign_count = 0  # the clone: the same key, its counter behind the server's 1
    token = mfa_token(api)
    refused(api, token, authenticator.get(second_step_options(api, token)), "sign_count", caplog,
            event="passkey_clone_suspected")


def test_refused_assertions_count_on_the_account(api, alice, alice_with_both, authenticator, account_rate,
                                                 caplog):
    account_rate("2/hour")
    token = mfa_token(api)
    for _ in range(2):
        refused(api, token, authenticator.get(second_step_options(api, token), user_verified=False),
                "verification", caplog)
    response = passkey_step(api, token, authenticator)
    assert response.status_code == 429 and response.json()["message"].startswith("Request was throttled.")
    assert password_step(api).status_code == 429  # the same bucket as wrong passwords and codes


def test_accepted_assertions_cost_the_account_nothing(api, alice, alice_with_both, authenticator, account_rate):
    account_rate("1/hour")
    for _ in range(3):
        assert passkey_step(api, mfa_token(api), authenticator).status_code == 200


def test_an_invalid_token_is_refused_before_the_assertion(api, alice, alice_with_both, authenticator):
    token = mfa_token(api)
    assertion = authenticator.get(second_step_options(api, token))
    response = post(api, MFA, {"mfaToken": "wrong", "credential": assertion})
    assert (response.status_code, response.json()) == (401, {"message": MFA_TOKEN_INVALID})
    assert post(api, MFA, {"mfaToken": token, "credential": assertion}).status_code == 200  # challenge unspent


def test_cookie_mode_sets_the_cookies(api, alice, alice_with_both, authenticator, cookie_mode, settings):
    cookie_mode("on")
    token = mfa_token(api)
    credential = authenticator.get(second_step_options(api, token))
    foreign = post(api, MFA, {"mfaToken": token, "credential": credential}, HTTP_ORIGIN="https://evil.example")
    assert (foreign.status_code, foreign.json()) == (403, {"message": ORIGIN_NOT_ALLOWED})
    response = post(api, MFA, {"mfaToken": token, "credential": credential})
    assert response.status_code == 200 and "accessToken" not in response.json()
    assert response.cookies[settings.AUTH_COOKIE_ACCESS_NAME].value


# --- The sign-ins that never ask for a second step ---------------------------------------------------

@pytest.mark.parametrize("user_fixture", ["alice", "admin_user"])
def test_passwordless_sign_in_never_asks_for_a_second_step(request, api, enable_totp, required, with_passkey,
                                                           authenticator, user_fixture):
    """A user-verified passkey is two factors already: TOTP and required roles included."""
    user = request.getfixturevalue(user_fixture)
    enable_totp(user)
    with_passkey(user)
    api.credentials()
    options = post(api, BEGIN).json()
    response = post(api, COMPLETE, {"credential": authenticator.get(options)})
    assert response.status_code == 200 and set(response.json()) == SIGNIN_FIELDS


def test_an_oidc_sign_in_does_not_ask_for_the_second_factor(api, op, corp, enable_totp):
    """
    The identity provider authenticated the user and owns its own second factor: a deliberate rule
    (README "Second factor and passkeys"), not an oversight.
    """
    from accounts.models import User
    from tests.oidcop import redeem, sign_in

    first = redeem(api, sign_in(api, op, "tess")["code"]).json()
    user = User.objects.get(pk=first["id"])
    enable_totp(user)
    api.credentials()
    sessions = Session.objects.filter(user=user).count()
    response = redeem(api, sign_in(api, op, "tess")["code"])
    assert response.status_code == 200, response.content
    assert response.json()["id"] == user.pk and response.json()["accessToken"]
    assert Session.objects.filter(user=user).count() == sessions + 1


def test_a_proxy_sign_in_does_not_ask_for_the_second_factor(proxy_on, alice, enable_totp):
    """The identity-aware proxy authenticated the user (and owns its second factor): the same rule."""
    from proxyauth import profiles
    from proxyauth.models import ExternalIdentity
    from tests.proxy import ALICE_SUB, hello, sign

    enable_totp(alice)
    ExternalIdentity.objects.create(provider=profiles.IAP_ISSUER, subject=ALICE_SUB, user=alice)
    response = hello(sign())
    assert response.status_code == 200 and response.json() == {"message": "Hello alice@example.com"}
    board = hello(sign(), path="/api/test/user")
    assert board.status_code == 200 and board.content == b"User Content."


# --- Queries (sign-in paths that changed) --------------------------------------------------------------

@pytest.mark.parametrize("username,count", [("alice", 8), ("admin", 9)])
def test_password_step_queries(api, alice, admin_user, required, enable_totp, with_passkey, settings,
                               django_assert_num_queries, username, count):
    """
    The password step of an account that gets a second step with a passkey: the user, TOTP?, a
    passkey? (the one query this adds), then the token (savepoint, expired ones, insert, the kept
    ten, release). alice has TOTP; admin a required role and no TOTP, so its roles are read too.
    """
    enable_totp(alice)
    with_passkey(alice)
    with_passkey(admin_user)
    settings.THROTTLE_ENABLED = False
    with django_assert_num_queries(count):
        response = password_step(api, username)
    assert response.status_code == 401 and "passkey" in response.json()["methods"]


def test_second_step_queries(api, alice, alice_with_both, authenticator, settings, django_assert_num_queries):
    """
    begin {mfaToken}: the pending token with its user, the expired challenges, the new challenge,
    the user's passkeys. signin/mfa: the token (peek), the challenge (read, delete), the passkey,
    its counter, the redemption (read, delete), then what every sign-in does (in one transaction
    without a savepoint: last_login, the session's insert, the sessions beyond the cap; then the
    roles for the body).
    """
    settings.THROTTLE_ENABLED = False
    token = mfa_token(api)
    with django_assert_num_queries(4):
        options = second_step_options(api, token)
    credential = authenticator.get(options)
    with django_assert_num_queries(11):
        response = post(api, MFA, {"mfaToken": token, "credential": credential})
    assert response.status_code == 200


def test_the_two_factor_page_refuses_an_account_whose_second_factor_is_a_passkey(client, api, admin_user, required,
                                                                                    with_passkey, alice):
    """
    /account/two-factor/ has no passkey step: signing such an account in with the password alone
    would let whoever has the password add an authenticator and get around the passkey.
    """
    from html import escape

    from mfa.pages import PASSKEY_REQUIRED

    with_passkey(admin_user)
    response = client.post("/account/two-factor/", {"action": "signin", "username": "admin", "password": PASSWORD})
    assert response.status_code == 400 and escape(PASSKEY_REQUIRED) in response.content.decode()
    assert client.post("/account/two-factor/", {"action": "setup"}).status_code == 400  # not signed in
    # Without the required role a passkey changes nothing there either.
    with_passkey(alice)
    response = client.post("/account/two-factor/", {"action": "signin", "username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and "Set up" in response.content.decode()
