"""
Passkeys through the API (test client), with a real software authenticator
(tests/webauthn_authenticator.py: ES256, ``none`` attestation): registration, passwordless
sign-in, and each refusal with its status and message. The browser proof is
tests/test_browser_passkeys.py.
"""

import json
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.messages import (
    EMAIL_NOT_VERIFIED,
    NO_TOKEN,
    ORIGIN_NOT_ALLOWED,
    PASSKEY_ALREADY_REGISTERED,
    PASSKEY_CHALLENGE_INVALID,
    PASSKEY_DELETED,
    PASSKEY_REGISTRATION_FAILED,
    PASSKEY_SIGNIN_FAILED,
    UNAUTHORIZED,
)
from mail.models import OutboxMessage
from passkeys.models import Passkey, PasskeyChallenge

from .webauthn_authenticator import SoftAuthenticator, b64url, unb64url

pytestmark = pytest.mark.django_db

SIGNIN_FAILED = {"accessToken": None, "message": PASSKEY_SIGNIN_FAILED}


def post(api, path, body=None):
    return api.post(f"/api/auth/passkeys/{path}", body, format="json")


@pytest.fixture
def registered(register, alice):
    response = register(alice, name="laptop")
    assert response.status_code == 200, response.content
    return Passkey.objects.get()


def begin_signin(api):
    api.credentials()
    response = post(api, "signin/begin")
    assert response.status_code == 200, response.content
    return response.json()


# --- Registration ---------------------------------------------------------------------------------

def test_registration_options_ask_for_a_verified_discoverable_credential(as_user, alice):
    response = post(as_user(alice), "register/begin")
    assert response.status_code == 200
    options = response.json()
    assert options["rp"] == {"id": "localhost", "name": "authsite"}
    assert options["user"]["name"] == "alice"
    assert len(unb64url(options["user"]["id"])) == 32  # random, not the primary key
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []
    assert len(unb64url(options["challenge"])) == 32
    assert response["Cache-Control"].startswith("max-age=0, no-cache, no-store")


def test_register_stores_the_passkey_and_queues_a_notice(register, alice, caplog):
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = register(alice, name="  laptop  ")
    assert response.status_code == 200, response.content
    passkey = Passkey.objects.get()
    assert response.json() == {"id": passkey.pk, "name": "laptop", "createdAt": response.json()["createdAt"],
                               "lastUsedAt": None, "backedUp": False}
    assert passkey.user == alice and passkey.transports == ["internal"] and passkey.sign_count == 0
    assert list(OutboxMessage.objects.values_list("kind", "to", "data")) == [
        ("passkey_added", "alice@example.com", {"name": "laptop"})
    ]
    assert any(json.loads(r.getMessage()) == {"event": "passkey_added", "ip": "127.0.0.1", "user": alice.pk,
                                              "passkey": passkey.pk} for r in caplog.records)
    assert not PasskeyChallenge.objects.exists()  # used up


def test_the_name_defaults_and_one_user_handle_per_account(register, alice, as_user):
    assert register(alice).json()["name"] == "Passkey"
    assert register(alice).status_code == 200
    first, second = Passkey.objects.all()
    assert first.user_handle == second.user_handle
    options = post(as_user(alice), "register/begin").json()
    assert options["user"]["id"] == first.user_handle
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id, second.credential_id]


@pytest.mark.parametrize("method", ["begin", "complete"])
def test_registration_needs_a_signed_in_user(api, method):
    response = post(api, f"register/{method}", {})
    assert response.status_code == 403 and response.json() == {"message": NO_TOKEN}
    api.credentials(HTTP_X_ACCESS_TOKEN="not.a.token")
    response = post(api, f"register/{method}", {})
    assert response.status_code == 401 and response.json() == {"message": UNAUTHORIZED}


def refused_registration(response, message):
    assert response.status_code == 400, response.content
    assert response.json() == {"message": message}
    assert not Passkey.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize("bend", [
    {"origin": "https://evil.example"},
    {"rp_id": "evil.example"},
    {"user_verified": False},
], ids=["wrong-origin", "wrong-rp-id", "no-user-verification"])
def test_registration_refuses_a_credential_made_elsewhere_or_unverified(register, alice, bend, caplog):
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        refused_registration(register(alice, **bend), PASSKEY_REGISTRATION_FAILED)
    assert '"event": "passkey_registration_failed"' in caplog.text and '"reason": "verification"' in caplog.text


@pytest.mark.parametrize("credential", [
    "x", 5, [], {}, {"id": "AA", "rawId": "AA", "type": "public-key", "response": {}},
    {"id": "AA", "rawId": "AA", "type": "public-key",
     "response": {"clientDataJSON": "!!!", "attestationObject": "AA"}},
    {"id": "AA", "rawId": "AA", "type": "public-key",
     "response": {"clientDataJSON": b64url(b'{"type": 1}'), "attestationObject": "AA"}},
])
def test_registration_refuses_malformed_credentials(as_user, alice, credential):
    client = as_user(alice)
    post(client, "register/begin")
    refused_registration(post(client, "register/complete", {"credential": credential}), PASSKEY_REGISTRATION_FAILED)


def test_registration_body_errors(as_user, alice):
    client = as_user(alice)
    response = post(client, "register/complete", {})
    assert response.status_code == 400
    assert response.json() == {"message": "This field is required.", "errors": {"credential": ["This field is required."]}}
    response = client.post("/api/auth/passkeys/register/complete", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["message"].startswith("JSON parse error")


def test_a_registration_challenge_works_once(as_user, alice, authenticator):
    client = as_user(alice)
    options = post(client, "register/begin").json()
    assert post(client, "register/complete", {"credential": authenticator.create(options)}).status_code == 200
    again = authenticator.create(options)  # another credential, the same challenge
    refused = post(client, "register/complete", {"credential": again})
    assert refused.status_code == 400 and refused.json() == {"message": PASSKEY_CHALLENGE_INVALID}
    assert Passkey.objects.count() == 1


def test_an_expired_registration_challenge_is_refused(as_user, alice, authenticator):
    client = as_user(alice)
    options = post(client, "register/begin").json()
    PasskeyChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused_registration(post(client, "register/complete", {"credential": authenticator.create(options)}),
                         PASSKEY_CHALLENGE_INVALID)


def test_a_challenge_not_issued_is_refused(as_user, alice, authenticator):
    client = as_user(alice)
    options = post(client, "register/begin").json()
    forged = authenticator.create(options, challenge=b64url(b"x" * 32))
    refused_registration(post(client, "register/complete", {"credential": forged}), PASSKEY_CHALLENGE_INVALID)


def test_another_users_registration_challenge_is_refused(as_user, alice, make_user, authenticator):
    options = post(as_user(alice), "register/begin").json()
    bob = make_user("bob")
    refused_registration(post(as_user(bob), "register/complete", {"credential": authenticator.create(options)}),
                         PASSKEY_CHALLENGE_INVALID)


def test_a_signin_challenge_cannot_register(as_user, alice, authenticator, api):
    signin_options = begin_signin(api)
    client = as_user(alice)
    options = post(client, "register/begin").json()
    credential = authenticator.create(options, challenge=signin_options["challenge"])
    refused_registration(post(client, "register/complete", {"credential": credential}), PASSKEY_CHALLENGE_INVALID)


def test_a_credential_is_registered_once(registered, as_user, make_user, authenticator):
    bob = make_user("bob")
    client = as_user(bob)
    options = post(client, "register/begin").json()
    again = authenticator.create(options, credential_id=unb64url(registered.credential_id))
    response = post(client, "register/complete", {"credential": again})
    assert response.status_code == 400 and response.json() == {"message": PASSKEY_ALREADY_REGISTERED}
    assert Passkey.objects.count() == 1
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["passkey_added"]  # alice's only


# --- Passwordless sign-in -------------------------------------------------------------------------

def test_signin_options_allow_any_discoverable_credential(api):
    options = begin_signin(api)
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "localhost"
    assert PasskeyChallenge.objects.get().user is None


def test_passkey_signin_answers_the_signin_body(registered, api, authenticator, alice, caplog):
    options = begin_signin(api)
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = post(api, "signin/complete", {"credential": authenticator.get(options)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("id", "username", "email", "roles", "tokenType")} == {
        "id": alice.pk, "username": "alice", "email": "alice@example.com", "roles": ["ROLE_USER"],
        "tokenType": "Bearer",
    }
    me = api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=body["accessToken"])
    assert me.status_code == 200 and me.json()["username"] == "alice"
    refreshed = api.post("/api/auth/refreshtoken", {"refreshToken": body["refreshToken"]}, format="json")
    assert refreshed.status_code == 200
    registered.refresh_from_db()
    assert registered.sign_count == 1 and registered.last_used_at is not None
    assert '"event": "passkey_signin"' in caplog.text


def signin_refused(api, credential, reason, caplog, event="passkey_signin_failed"):
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        response = post(api, "signin/complete", {"credential": credential})
    assert response.status_code == 401, response.content
    assert response.json() == SIGNIN_FAILED
    assert f'"event": "{event}"' in caplog.text and f'"reason": "{reason}"' in caplog.text


@pytest.mark.parametrize("bend,reason", [
    ({"origin": "https://evil.example"}, "verification"),
    ({"origin": "http://localhost:8081"}, "verification"),
    ({"rp_id": "evil.example"}, "verification"),
    ({"user_verified": False}, "verification"),
    ({"user_handle": b"someone else"}, "user_handle"),
], ids=["foreign-origin", "other-local-origin", "wrong-rp-id", "no-user-verification", "other-user-handle"])
def test_signin_refuses_assertions_that_fail_a_check(registered, api, authenticator, bend, reason, caplog):
    options = begin_signin(api)
    signin_refused(api, authenticator.get(options, **bend), reason, caplog)


def test_signin_with_an_unknown_credential_answers_the_same(registered, api, caplog):
    stranger = SoftAuthenticator()
    stranger.create({"rp": {"id": "localhost"}, "user": {"id": b64url(b"u" * 32)}, "challenge": b64url(b"c")})
    options = begin_signin(api)
    signin_refused(api, stranger.get(options), "unknown_credential", caplog)


def test_signin_refuses_a_bad_signature(registered, api, authenticator, caplog):
    options = begin_signin(api)
    assertion = authenticator.get(options)
    signature = bytearray(unb64url(assertion["response"]["signature"]))
    signature[-1] ^= 1
    assertion["response"]["signature"] = b64url(bytes(signature))
    signin_refused(api, assertion, "verification", caplog)


def test_an_assertion_is_accepted_once(registered, api, authenticator, caplog):
    options = begin_signin(api)
    assertion = authenticator.get(options)
    assert post(api, "signin/complete", {"credential": assertion}).status_code == 200
    signin_refused(api, assertion, "challenge", caplog)  # replayed


def test_an_expired_signin_challenge_is_refused(registered, api, authenticator, caplog):
    options = begin_signin(api)
    PasskeyChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    signin_refused(api, authenticator.get(options), "challenge", caplog)


def test_a_registration_challenge_cannot_sign_in(registered, as_user, alice, authenticator, caplog):
    client = as_user(alice)
    options = post(client, "register/begin").json()
    client.credentials()
    signin_refused(client, authenticator.get({"rpId": "localhost", "challenge": options["challenge"]}),
                   "challenge", caplog)


@pytest.mark.parametrize("stale", [0, 1], ids=["lower", "equal"])
def test_a_stale_sign_counter_is_refused_as_a_clone(registered, api, authenticator, stale, caplog):
    for _ in range(2):
        assert post(api, "signin/complete", {"credential": authenticator.get(begin_signin(api))}).status_code == 200
    registered.refresh_from_db()
    assert registered.sign_count == 2
    options = begin_signin(api)
    signin_refused(api, authenticator.get(options, sign_count=stale + 1 if stale else 0), "sign_count", caplog,
                   event="passkey_clone_suspected")
    registered.refresh_from_db()
    assert registered.sign_count == 2  # unchanged: the genuine authenticator goes on
    assert post(api, "signin/complete", {"credential": authenticator.get(begin_signin(api))}).status_code == 200


def test_authenticators_without_a_counter_are_not_judged(register, alice, api):
    synced = SoftAuthenticator(counting=False)
    client = api
    client.credentials()
    from accounts.models import Session
    from accounts.tokens import AccessToken

    session, _ = Session.objects.start(alice)
    client.credentials(HTTP_X_ACCESS_TOKEN=str(AccessToken.for_session(session)))
    options = post(client, "register/begin").json()
    assert post(client, "register/complete", {"credential": synced.create(options)}).status_code == 200
    for _ in range(2):
        assert post(api, "signin/complete", {"credential": synced.get(begin_signin(api))}).status_code == 200
    assert Passkey.objects.get().sign_count == 0


@pytest.mark.parametrize("credential", ["x", 5, None, [], {}, {"id": 1}, {"id": "AA", "rawId": "AA", "response": {
    "clientDataJSON": "AA", "authenticatorData": "AA", "signature": "AA"}, "type": "public-key"}])
def test_signin_refuses_malformed_credentials(api, credential, caplog):
    begin_signin(api)
    if credential is None:
        response = post(api, "signin/complete", {"credential": None})
        assert response.status_code == 400  # JSONField: null is no credential
        return
    signin_refused(api, credential, "malformed", caplog)


def test_signin_body_errors(api):
    response = post(api, "signin/complete", {})
    assert response.status_code == 400
    assert response.json() == {"message": "This field is required.", "errors": {"credential": ["This field is required."]}}
    response = api.post("/api/auth/passkeys/signin/complete", "{", content_type="application/json")
    assert response.status_code == 400 and response.json()["message"].startswith("JSON parse error")


def test_an_inactive_account_cannot_sign_in(registered, api, authenticator, alice, caplog):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    signin_refused(api, authenticator.get(begin_signin(api)), "inactive", caplog)


def test_mandatory_email_verification_applies(registered, api, authenticator, settings):
    settings.EMAIL_VERIFICATION = "mandatory"
    response = post(api, "signin/complete", {"credential": authenticator.get(begin_signin(api))})
    assert response.status_code == 403 and response.json() == {"message": EMAIL_NOT_VERIFIED}


def test_cookie_mode_sets_the_cookies(registered, api, authenticator, cookie_mode, settings):
    cookie_mode("on")
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:8080"]
    options = begin_signin(api)
    response = post(api, "signin/complete", {"credential": authenticator.get(options)})
    assert response.status_code == 200, response.content
    assert "accessToken" not in response.json() and response.json()["username"] == "alice"
    assert response.cookies[settings.AUTH_COOKIE_ACCESS_NAME].value
    foreign = api.post("/api/auth/passkeys/signin/complete", {"credential": authenticator.get(begin_signin(api))},
                       format="json", HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403 and foreign.json() == {"message": ORIGIN_NOT_ALLOWED}


def test_passkey_signins_count_in_the_signin_throttle(registered, api, authenticator, rates):
    rates(signin_ip="3/min")
    options = begin_signin(api)
    assert post(api, "signin/complete", {"credential": authenticator.get(options)}).status_code == 200
    assert post(api, "signin/begin").status_code == 200
    response = post(api, "signin/begin")
    assert response.status_code == 429 and response["Retry-After"]
    assert api.post("/api/auth/signin", {"username": "alice", "password": "x"}, format="json").status_code == 429


# --- List, rename, delete -------------------------------------------------------------------------

def test_list_shows_only_the_callers_passkeys(registered, as_user, make_user, register):
    bob = make_user("bob")
    assert register(bob, name="bob's").status_code == 200
    response = as_user(registered.user).get("/api/auth/passkeys")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()] == ["laptop"]
    assert as_user(bob).get("/api/auth/passkeys/").json()[0]["name"] == "bob's"


def test_list_needs_a_token(api):
    response = api.get("/api/auth/passkeys")
    assert response.status_code == 403 and response.json() == {"message": NO_TOKEN}


def test_rename(registered, as_user):
    client = as_user(registered.user)
    response = client.patch(f"/api/auth/passkeys/{registered.pk}", {"name": " phone "}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "phone"
    registered.refresh_from_db()
    assert registered.name == "phone"
    for bad, message in (({}, "This field is required."), ({"name": "  "}, "This field may not be blank."),
                         ({"name": "x" * 65}, "Ensure this field has no more than 64 characters.")):
        response = client.patch(f"/api/auth/passkeys/{registered.pk}", bad, format="json")
        assert response.status_code == 400 and response.json() == {"message": message, "errors": {"name": [message]}}


def test_another_users_passkey_is_not_found(registered, as_user, make_user):
    client = as_user(make_user("bob"))
    for response in (client.patch(f"/api/auth/passkeys/{registered.pk}", {"name": "mine"}, format="json"),
                     client.delete(f"/api/auth/passkeys/{registered.pk}"),
                     client.delete("/api/auth/passkeys/999999")):
        assert response.status_code == 404 and response.json() == {"message": "Not found."}
    registered.refresh_from_db()
    assert registered.name == "laptop"


def test_delete_queues_a_notice_and_logs(registered, as_user, caplog):
    OutboxMessage.objects.all().delete()
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = as_user(registered.user).delete(f"/api/auth/passkeys/{registered.pk}/")
    assert response.status_code == 200 and response.json() == {"message": PASSKEY_DELETED}
    assert not Passkey.objects.exists()
    assert list(OutboxMessage.objects.values_list("kind", "to", "data")) == [
        ("passkey_removed", "alice@example.com", {"name": "laptop"})
    ]
    assert '"event": "passkey_removed"' in caplog.text


def test_a_deleted_passkey_no_longer_signs_in(registered, as_user, api, authenticator, caplog):
    assert as_user(registered.user).delete(f"/api/auth/passkeys/{registered.pk}").status_code == 200
    signin_refused(api, authenticator.get(begin_signin(api)), "unknown_credential", caplog)


def test_the_notices_are_delivered(registered, as_user, smtp, run_mailworker):
    as_user(registered.user).delete(f"/api/auth/passkeys/{registered.pk}")
    run_mailworker()
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == ["authsite: a passkey was added to your account",
                        "authsite: a passkey was removed from your account"]
    assert '"laptop"' in smtp.messages[1].get_body(preferencelist=("plain",)).get_content()


# --- Random input never answers 5xx ---------------------------------------------------------------

def mutations(credential, rng, count):
    """``count`` variants of ``credential``: bytes of its base64url fields flipped, cut or grown, keys dropped, types swapped."""
    import copy

    for _ in range(count):
        variant = copy.deepcopy(credential)
        response = variant["response"]
        field = rng.choice(sorted(response))
        if field == "transports":
            response[field] = rng.choice([None, 5, ["usb", 7], "internal"])
        else:
            data = bytearray(unb64url(response[field]))
            action = rng.randrange(4)
            if action == 0 and data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            elif action == 1:
                data = data[: rng.randrange(len(data) + 1)]
            elif action == 2:
                data += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
            else:
                del response[field]
                yield variant
                continue
            response[field] = b64url(bytes(data))
        if rng.random() < 0.1:
            variant[rng.choice(["id", "rawId", "type"])] = rng.choice([None, 1, "", "x" * 2000])
        yield variant


def test_mutated_registrations_and_assertions_never_answer_5xx(as_user, alice, authenticator, api, settings):
    import random

    settings.THROTTLE_ENABLED = False
    rng = random.Random(14)
    statuses = set()
    client = as_user(alice)
    for _ in range(150):
        [variant] = mutations(authenticator.create(post(client, "register/begin").json()), rng, 1)
        response = post(client, "register/complete", {"credential": variant})
        statuses.add(response.status_code)
        assert response.status_code in (200, 400), response.content
    Passkey.objects.all().delete()
    authenticator.credentials.clear()
    assert post(client, "register/complete", {
        "credential": authenticator.create(post(client, "register/begin").json())}).status_code == 200
    for _ in range(150):
        [variant] = mutations(authenticator.get(begin_signin(api)), rng, 1)
        response = post(api, "signin/complete", {"credential": variant})
        statuses.add(response.status_code)
        assert response.status_code in (200, 400, 401), response.content
    assert {200, 400, 401} <= statuses


# --- The ceremony restricted to one user (what a second-factor step calls) ------------------------

def test_a_user_bound_assertion_names_that_users_passkeys(registered, alice, make_user, register, authenticator):
    from passkeys import ceremonies

    options = ceremonies.authentication_options(alice)
    assert [c["id"] for c in options["allowCredentials"]] == [registered.credential_id]
    assert PasskeyChallenge.objects.get().user == alice
    assert ceremonies.verify_assertion(authenticator.get(options), user=alice) == registered
    # Alice's passkey cannot answer a challenge bound to bob, nor an unbound one bound to her.
    bob = make_user("bob")
    with pytest.raises(ceremonies.PasskeyRefused) as refused:
        ceremonies.verify_assertion(authenticator.get(ceremonies.authentication_options(bob)), user=bob)
    assert refused.value.reason == "unknown_credential"
    with pytest.raises(ceremonies.PasskeyRefused) as refused:
        ceremonies.verify_assertion(authenticator.get(ceremonies.authentication_options(alice)), user=None)
    assert refused.value.reason == "challenge"


def test_a_user_bound_signin_challenge_cannot_register(registered, alice, as_user, authenticator):
    from passkeys import ceremonies

    options = ceremonies.authentication_options(alice)  # alice's own, but for another ceremony
    client = as_user(alice)
    register_options = post(client, "register/begin").json()
    credential = authenticator.create(register_options, challenge=options["challenge"])
    response = post(client, "register/complete", {"credential": credential})
    assert response.status_code == 400 and response.json() == {"message": PASSKEY_CHALLENGE_INVALID}


def test_signin_queries(registered, api, authenticator, django_assert_num_queries, settings):
    """
    Passkey sign-in's queries, pinned: the challenge (read, delete), the passkey with its user
    (one join), the counter update; then what password sign-in does after authenticate
    (in one transaction without a savepoint: last_login, the session's insert, the user's oldest
    sessions beyond the cap; then the roles for the body).
    """
    settings.THROTTLE_ENABLED = False
    options = begin_signin(api)
    assertion = authenticator.get(options)
    with django_assert_num_queries(8):
        response = post(api, "signin/complete", {"credential": assertion})
    assert response.status_code == 200


def test_the_page_is_served_uncached(client):
    response = client.get("/account/passkeys/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "navigator.credentials.create" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert client.post("/account/passkeys/").status_code == 405
