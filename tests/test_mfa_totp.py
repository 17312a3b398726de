"""TOTP setup, confirmation, replay, disabling and recovery codes (mfa/): POST /api/auth/mfa/*."""

import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from accounts.models import Session
from mfa import encryption
from mfa.models import RecoveryCode, TOTPDevice

from .conftest import PASSWORD, concurrently

SETUP = "/api/auth/mfa/totp/setup"
CONFIRM = "/api/auth/mfa/totp/confirm"
TOTP = "/api/auth/mfa/totp"
CODES = "/api/auth/mfa/recovery-codes"


def setup(api, token):
    return api.post(SETUP, HTTP_X_ACCESS_TOKEN=token)


def confirm(api, token, code):
    return api.post(CONFIRM, {"code": code}, format="json", HTTP_X_ACCESS_TOKEN=token)


@pytest.mark.django_db
def test_setup_answers_an_otpauth_uri_a_qr_code_and_the_secret(api, alice, token_for):
    response = setup(api, token_for(alice))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    body = response.json()
    uri = urlsplit(body["otpauthUri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/authsite:alice")
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]] and query["issuer"] == ["authsite"]
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert body["qrCode"].startswith("data:image/svg+xml")
    # Stored encrypted, not in clear; not yet a second factor.
    device = TOTPDevice.objects.get(user=alice)
    assert body["secret"] not in device.encrypted_secret
    assert encryption.decrypt(device.encrypted_secret) == body["secret"]
    assert device.confirmed_at is None


@pytest.mark.django_db
def test_setup_needs_a_token(api):
    response = api.post(SETUP)
    assert (response.status_code, response.json()) == (403, {"message": "No token provided!"})


@pytest.mark.django_db
def test_confirm_turns_it_on_and_shows_ten_recovery_codes_once(api, alice, token_for, totp_clock):
    token = token_for(alice)
    secret = setup(api, token).json()["secret"]
    response = confirm(api, token, totp_clock.code(secret))
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Second factor enabled!"
    assert len(body["recoveryCodes"]) == 10 and len(set(body["recoveryCodes"])) == 10
    assert all(re.fullmatch(r"[a-z2-7]{4}(-[a-z2-7]{4}){3}", code) for code in body["recoveryCodes"])
    assert TOTPDevice.objects.get(user=alice).confirmed_at is not None
    # Stored hashed only.
    digests = set(RecoveryCode.objects.filter(user=alice).values_list("digest", flat=True))
    assert len(digests) == 10 and not any(code in digests for code in body["recoveryCodes"])


@pytest.mark.django_db
def test_confirm_refuses_a_wrong_code(api, alice, token_for, totp_clock):
    token = token_for(alice)
    secret = setup(api, token).json()["secret"]
    wrong = f"{(int(totp_clock.code(secret)) + 1) % 1_000_000:06d}"
    for code in (wrong, "12345", "abcdef", totp_clock.code(secret, offset=-90)):
        response = confirm(api, token, code)
        assert (response.status_code, response.json()) == (400, {"message": "Invalid code!"})
    assert TOTPDevice.objects.get(user=alice).confirmed_at is None


@pytest.mark.django_db
def test_confirm_without_setup_and_setup_twice(api, alice, token_for, enable_totp):
    token = token_for(alice)
    response = confirm(api, token, "123456")
    assert (response.status_code, response.json()) == (400, {"message": "Set up the second factor first!"})
    enable_totp(alice)
    response = setup(api, token_for(alice))
    assert (response.status_code, response.json()) == (400, {"message": "Second factor already enabled!"})


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-30, 0, 30])
def test_codes_are_valid_one_step_either_side(api, alice, token_for, totp_clock, offset):
    token = token_for(alice)
    secret = setup(api, token).json()["secret"]
    assert confirm(api, token, totp_clock.code(secret, offset=offset)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("offset", [-60, 60])
def test_codes_two_steps_away_are_refused(api, alice, token_for, totp_clock, offset):
    token = token_for(alice)
    secret = setup(api, token).json()["secret"]
    assert confirm(api, token, totp_clock.code(secret, offset=offset)).status_code == 400


@pytest.mark.django_db
def test_a_code_works_once(api, alice, token_for, enable_totp, totp_clock):
    secret, _ = enable_totp(alice)
    token = token_for(alice)
    code = totp_clock.code(secret)
    first = api.delete(TOTP, {"code": code}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert first.status_code == 200
    # Enable again; the same code (still within its window) and an older one are refused.
    secret2, _ = enable_totp(alice)
    device = TOTPDevice.objects.get(user=alice)
    from mfa import totp

    code = pyotp.TOTP(secret2).at(totp_clock.now)
    assert totp.verify(device, code)
    assert not totp.verify(device, code)
    assert not totp.verify(device, pyotp.TOTP(secret2).at(totp_clock.now - 30))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_uses_of_one_code_one_passes(make_user, totp_clock):
    from mfa import services, totp

    user = make_user("racer")
    services.start_setup(user)
    device = TOTPDevice.objects.get(user=user)
    secret = encryption.decrypt(device.encrypted_secret)
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed_at="2026-01-01T00:00:00Z")
    code = pyotp.TOTP(secret).at(totp_clock.now)
    results = concurrently(6, lambda i: totp.verify(TOTPDevice.objects.get(pk=device.pk), code))
    assert results.count(True) == 1


@pytest.mark.django_db
def test_disable_with_the_password(api, alice, token_for, enable_totp):
    enable_totp(alice)
    token = token_for(alice)
    response = api.delete(TOTP, {"password": PASSWORD}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (200, {"message": "Second factor disabled!"})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert not RecoveryCode.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_disable_refusals(api, alice, token_for, enable_totp):
    token = token_for(alice)
    response = api.delete(TOTP, {"password": PASSWORD}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (400, {"message": "No second factor enabled!"})
    enable_totp(alice)
    token = token_for(alice)
    response = api.delete(TOTP, {}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (400, {"message": "Password or code is required!"})
    for body in ({"password": "wrong password"}, {"code": "000000"}, {"code": "aaaa-bbbb-cccc-dddd"}):
        response = api.delete(TOTP, body, format="json", HTTP_X_ACCESS_TOKEN=token)
        assert (response.status_code, response.json()) == (400, {"message": "Password or code is incorrect!"})
    assert TOTPDevice.objects.filter(user=alice, confirmed_at__isnull=False).exists()


@pytest.mark.django_db
def test_disable_with_a_recovery_code(api, alice, token_for, enable_totp):
    _, codes = enable_totp(alice)
    response = api.delete(TOTP, {"code": codes[0].upper()}, format="json", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 200


@pytest.mark.django_db
def test_wrong_proofs_count_on_the_account(api, alice, token_for, enable_totp, account_rate):
    enable_totp(alice)
    account_rate("2/hour")
    token = token_for(alice)
    for _ in range(2):
        assert api.delete(TOTP, {"password": "nope nope"}, format="json", HTTP_X_ACCESS_TOKEN=token).status_code == 400
    response = api.delete(TOTP, {"password": PASSWORD}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert response.status_code == 429


@pytest.mark.django_db
def test_regenerating_recovery_codes_kills_the_old_ones(api, alice, token_for, enable_totp, totp_clock):
    secret, old = enable_totp(alice)
    token = token_for(alice)
    response = api.post(CODES, {"code": totp_clock.code(secret)}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "New recovery codes: the old ones no longer work."
    assert len(body["recoveryCodes"]) == 10 and not set(body["recoveryCodes"]) & set(old)
    from mfa import recovery_codes

    assert not recovery_codes.use(alice, old[0])
    assert recovery_codes.use(alice, body["recoveryCodes"][0])
    assert not recovery_codes.use(alice, body["recoveryCodes"][0])  # single use
    assert recovery_codes.remaining(alice) == 9


@pytest.mark.django_db
def test_regenerating_needs_a_factor_and_a_proof(api, alice, token_for, enable_totp):
    token = token_for(alice)
    response = api.post(CODES, {"password": PASSWORD}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert (response.status_code, response.json()) == (400, {"message": "No second factor enabled!"})
    enable_totp(alice)  # revokes the session of `token`
    response = api.post(CODES, {}, format="json", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert (response.status_code, response.json()) == (400, {"message": "Password or code is required!"})


@pytest.mark.django_db
def test_turning_it_on_or_off_revokes_the_other_sessions(api, alice, token_for, totp_clock):
    other, _ = Session.objects.start(alice)
    token = token_for(alice)
    current = Session.objects.filter(user=alice).latest("pk")
    secret = setup(api, token).json()["secret"]
    assert confirm(api, token, totp_clock.code(secret)).status_code == 200
    other.refresh_from_db()
    current.refresh_from_db()
    assert other.revoked_at is not None and current.revoked_at is None
    another, _ = Session.objects.start(alice)
    response = api.delete(TOTP, {"password": PASSWORD}, format="json", HTTP_X_ACCESS_TOKEN=token)
    assert response.status_code == 200
    another.refresh_from_db()
    current.refresh_from_db()
    assert another.revoked_at is not None and current.revoked_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("body", [
    "not json", '{"code": 123456}', '{"code": null}', '{"code": ["1"]}', '[]', '{"code": "' + "9" * 500 + '"}',
    '{"code": "\\u0000"}',
])
def test_malformed_bodies_are_json_400s(api, alice, token_for, enable_totp, body):
    token = token_for(alice)
    setup(api, token)
    for url, method in ((CONFIRM, api.post), (TOTP, api.delete), (CODES, api.post), ("/api/auth/signin/mfa", api.post)):
        response = method(url, body, content_type="application/json", HTTP_X_ACCESS_TOKEN=token)
        assert response.status_code in (400, 401), (url, body, response.content)
        assert "message" in response.json()
