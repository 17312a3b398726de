"""Sign-in with a second factor: the password step's 401 and POST /api/auth/signin/mfa."""

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Session
from mfa import pending
from mfa.models import PendingSignin

from .conftest import PASSWORD, concurrently

SIGNIN = "/api/auth/signin"
MFA = "/api/auth/signin/mfa"
SIGNIN_FIELDS = {"id", "username", "email", "roles", "accessToken", "refreshToken", "tokenType", "emailVerified"}


def password_step(api, username="alice", password=PASSWORD, **extra):
    return api.post(SIGNIN, {"username": username, "password": password}, format="json", **extra)


def second_step(api, token, code, **extra):
    return api.post(MFA, {"mfaToken": token, "code": code}, format="json", **extra)


@pytest.mark.django_db
def test_the_password_step_asks_for_the_second_factor(api, alice, enable_totp):
    enable_totp(alice)
    sessions = Session.objects.count()
    response = password_step(api)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"message", "mfaToken", "methods"}
    assert body["message"] == "Second factor required!"
    assert body["methods"] == ["totp", "recovery_code"]
    assert len(body["mfaToken"]) >= 40
    assert Session.objects.count() == sessions  # no session yet
    # Only its digest is stored.
    assert not PendingSignin.objects.filter(token_digest=body["mfaToken"]).exists()


@pytest.mark.django_db
def test_a_wrong_password_is_still_the_tutorials_401(api, alice, enable_totp):
    enable_totp(alice)
    response = password_step(api, password="wrong password")
    assert response.json() == {"accessToken": None, "message": "Invalid username or password!"}


@pytest.mark.django_db
def test_the_code_completes_the_sign_in_with_the_tutorials_body(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = password_step(api).json()["mfaToken"]
    response = second_step(api, token, totp_clock.code(secret))
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == SIGNIN_FIELDS and body["username"] == "alice"
    assert api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=body["accessToken"]).status_code == 200
    assert response["Cache-Control"]


@pytest.mark.django_db
def test_the_token_is_single_use(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = password_step(api).json()["mfaToken"]
    assert second_step(api, token, totp_clock.code(secret)).status_code == 200
    totp_clock.set(totp_clock.now + 30)
    response = second_step(api, token, totp_clock.code(secret))
    assert (response.status_code, response.json()) == (401, {"message": "Invalid or expired mfaToken!"})


@pytest.mark.django_db
def test_a_wrong_code_leaves_the_token_usable(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = password_step(api).json()["mfaToken"]
    response = second_step(api, token, "000000" if totp_clock.code(secret) != "000000" else "111111")
    assert (response.status_code, response.json()) == (401, {"message": "Invalid code!"})
    assert second_step(api, token, totp_clock.code(secret)).status_code == 200


@pytest.mark.django_db
def test_a_replayed_code_is_refused(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    code = totp_clock.code(secret)
    assert second_step(api, password_step(api).json()["mfaToken"], code).status_code == 200
    response = second_step(api, password_step(api).json()["mfaToken"], code)
    assert (response.status_code, response.json()) == (401, {"message": "Invalid code!"})


@pytest.mark.django_db
def test_the_token_expires_after_five_minutes(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = password_step(api).json()["mfaToken"]
    row = PendingSignin.objects.get(user=alice)
    assert (row.expires_at - row.created_at).total_seconds() == pytest.approx(300, abs=1)
    PendingSignin.objects.filter(pk=row.pk).update(expires_at=row.created_at)
    response = second_step(api, token, totp_clock.code(secret))
    assert (response.status_code, response.json()) == (401, {"message": "Invalid or expired mfaToken!"})


@pytest.mark.django_db
def test_the_token_dies_with_a_password_change(api, alice, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = password_step(api).json()["mfaToken"]
    alice.refresh_from_db()
    alice.password = make_password("a new password 99")
    alice.save(update_fields=["password"])
    response = second_step(api, token, totp_clock.code(secret))
    assert (response.status_code, response.json()) == (401, {"message": "Invalid or expired mfaToken!"})


@pytest.mark.django_db
def test_unknown_tokens(api, alice):
    for token in ("nope", "x" * 200):
        response = second_step(api, token, "123456")
        assert (response.status_code, response.json()) == (401, {"message": "Invalid or expired mfaToken!"})


@pytest.mark.django_db
def test_a_signup_token_is_no_mfa_token(api, make_user):
    user = make_user("bob")
    token = pending.issue(user, PendingSignin.Purpose.SETUP)
    response = second_step(api, token, "123456")
    assert response.status_code == 401


@pytest.mark.django_db
def test_recovery_codes_sign_in_once_each(api, alice, enable_totp, mailoutbox_rows):
    _, codes = enable_totp(alice)
    response = second_step(api, password_step(api).json()["mfaToken"], codes[3].replace("-", " "))
    assert response.status_code == 200
    response = second_step(api, password_step(api).json()["mfaToken"], codes[3])
    assert (response.status_code, response.json()) == (401, {"message": "Invalid code!"})
    assert mailoutbox_rows("mfa_recovery_code_used")[-1].data == {"remaining": 9}


@pytest.mark.django_db
def test_wrong_codes_count_on_the_account(api, alice, enable_totp, totp_clock, account_rate):
    secret, _ = enable_totp(alice)
    account_rate("3/hour")
    token = password_step(api).json()["mfaToken"]
    wrong = f"{(int(totp_clock.code(secret)) + 1) % 1_000_000:06d}"
    for _ in range(3):
        assert second_step(api, token, wrong).status_code == 401
    response = second_step(api, token, totp_clock.code(secret))
    assert response.status_code == 429
    assert response.json()["message"].startswith("Request was throttled.")
    # ... and the password step's account bucket is the same one.
    assert password_step(api).status_code == 429


@pytest.mark.django_db
def test_right_codes_cost_the_account_nothing(api, alice, enable_totp, totp_clock, account_rate):
    secret, _ = enable_totp(alice)
    account_rate("2/hour")
    for _ in range(3):
        token = password_step(api).json()["mfaToken"]
        assert second_step(api, token, totp_clock.code(secret)).status_code == 200
        totp_clock.set(totp_clock.now + 30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_token_is_redeemed_once_under_concurrency(make_user):
    user = make_user("racer")
    token = pending.issue(user)
    results = concurrently(6, lambda i: pending.redeem(token))
    assert sum(result is not None for result in results) == 1


@pytest.mark.django_db
def test_cookie_mode_sets_the_cookies(api, alice, enable_totp, totp_clock, cookie_mode):
    secret, _ = enable_totp(alice)
    cookie_mode("on")
    token = password_step(api).json()["mfaToken"]
    response = second_step(api, token, totp_clock.code(secret))
    assert response.status_code == 200
    assert "accessToken" not in response.json()
    assert {"authsite-access", "authsite-refresh"} <= set(response.cookies)


@pytest.mark.django_db
def test_cookie_mode_refuses_a_foreign_origin(api, alice, enable_totp, totp_clock, cookie_mode):
    secret, _ = enable_totp(alice)
    cookie_mode("on")
    token = password_step(api).json()["mfaToken"]
    response = second_step(api, token, totp_clock.code(secret), HTTP_ORIGIN="https://evil.example")
    assert (response.status_code, response.json()) == (403, {"message": "Origin not allowed!"})


@pytest.mark.django_db
@pytest.mark.parametrize("required", [[], ["admin"]])
def test_accounts_without_a_factor_sign_in_in_one_step(api, alice, settings, required):
    """The second factor costs a password sign-in one query (does the account have one?)."""
    settings.MFA_REQUIRED_ROLES = required
    with CaptureQueriesContext(connection) as queries:
        response = password_step(api)
    assert response.status_code == 200
    assert set(response.json()) == SIGNIN_FIELDS
    assert len([q for q in queries.captured_queries if '"mfa_' in q["sql"] or "`mfa_" in q["sql"]]) == 1


@pytest.mark.django_db
def test_purgesessions_deletes_expired_tokens_only(make_user, capsys):
    from django.core.management import call_command
    from django.utils import timezone

    user = make_user("bob")
    live = pending.issue(user)
    pending.issue(user, PendingSignin.Purpose.SETUP)
    PendingSignin.objects.exclude(token_digest=pending.digest(live)).update(expires_at=timezone.now())
    call_command("purgesessions")
    assert "Purged 1 expired second-step token(s)." in capsys.readouterr().out
    assert list(PendingSignin.objects.values_list("token_digest", flat=True)) == [pending.digest(live)]


@pytest.mark.django_db
def test_a_user_keeps_at_most_ten_pending_tokens(make_user):
    user = make_user("bob")
    tokens = [pending.issue(user) for _ in range(12)]
    assert PendingSignin.objects.filter(user=user).count() == 10
    assert pending.peek(tokens[0]) is None and pending.peek(tokens[-1]) == user
