"""The admin asks staff with a second factor for its code; the admin's reset for a lost phone."""

import json
import logging

import pytest

from accounts.models import Session
from mfa.models import TOTPDevice

from .conftest import PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture
def staff(make_user):
    return make_user("root", is_staff=True, is_superuser=True)


def log_in(client, code=None, username="root", password=PASSWORD):
    data = {"username": username, "password": password, "next": "/admin/"}
    if code is not None:
        data["otp_code"] = code
    return client.post(LOGIN, data)


@pytest.mark.django_db
def test_the_login_page_has_the_code_field(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="otp_code"' in page and 'autocomplete="one-time-code"' in page
    assert 'name="username"' in page and 'name="password"' in page


@pytest.mark.django_db
def test_staff_without_a_factor_log_in_with_the_password(client, staff):
    response = log_in(client)
    assert (response.status_code, response["Location"]) == (302, "/admin/")


@pytest.mark.django_db
def test_staff_with_a_factor_need_the_code(client, staff, enable_totp, totp_clock):
    secret, codes = enable_totp(staff)
    for code in (None, "", "000000" if totp_clock.code(secret) != "000000" else "111111"):
        response = log_in(client, code)
        assert response.status_code == 200
        assert "Enter the code from your authenticator app (or a recovery code)." in response.content.decode()
        assert "_auth_user_id" not in client.session
    response = log_in(client, totp_clock.code(secret))
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_code_used_at_the_admin_is_used_up(client, staff, enable_totp, totp_clock):
    secret, _ = enable_totp(staff)
    code = totp_clock.code(secret)
    assert log_in(client, code).status_code == 302
    client.logout()
    assert log_in(client, code).status_code == 200


@pytest.mark.django_db
def test_recovery_codes_work_at_the_admin(client, staff, enable_totp):
    _, codes = enable_totp(staff)
    assert log_in(client, codes[0]).status_code == 302


@pytest.mark.django_db
def test_wrong_codes_count_on_the_account(client, staff, enable_totp, account_rate):
    enable_totp(staff)
    account_rate("2/hour")
    for _ in range(2):
        assert log_in(client, "000001").status_code == 200
    response = log_in(client, "000002")
    assert response.status_code == 429
    assert response.json()["message"].startswith("Request was throttled.")


@pytest.mark.django_db
def test_the_admin_action_resets_a_lost_phone_and_logs_who(client, staff, make_user, enable_totp, caplog):
    caplog.set_level(logging.INFO, logger="authsite.security")
    bob = make_user("bob")
    enable_totp(bob)
    session, _ = Session.objects.start(bob)
    client.force_login(staff)
    listing = client.get("/admin/mfa/totpdevice/")
    assert listing.status_code == 200 and b">bob<" in listing.content
    device = TOTPDevice.objects.get(user=bob)
    response = client.post("/admin/mfa/totpdevice/", {
        "action": "reset_second_factor", "_selected_action": [device.pk],
    })
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=bob).exists()
    session.refresh_from_db()
    assert session.revoked_at is not None
    [event] = [json.loads(r.getMessage()) for r in caplog.records if '"mfa_disabled"' in r.getMessage()]
    assert event["user"] == bob.pk and event["by"] == "admin:root"
    # bob signs in with the password alone again.
    response = client.post("/api/auth/signin", {"username": "bob", "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200


@pytest.mark.django_db
def test_devices_cannot_be_deleted_or_added_plainly(client, staff, alice, enable_totp):
    enable_totp(alice)
    client.force_login(staff)
    device = TOTPDevice.objects.get(user=alice)
    assert client.get(f"/admin/mfa/totpdevice/{device.pk}/delete/").status_code == 403
    assert client.get("/admin/mfa/totpdevice/add/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("with_passkey", [False, True])
def test_staff_of_a_required_role_without_an_authenticator_app_are_refused(
    client, settings, make_user, register, with_passkey, caplog
):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    boss = make_user("boss", is_staff=True, is_superuser=True, roles=["user", "admin"])
    if with_passkey:
        assert register(boss).status_code == 200
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = log_in(client, username="boss")
    assert response.status_code == 200
    assert "Your role requires an authenticator app: set one up on /account/two-factor/" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert any(json.loads(r.getMessage()).get("event") == "mfa_setup_required" for r in caplog.records
               if r.name == "authsite.security")


@pytest.mark.django_db
def test_staff_of_a_required_role_with_an_authenticator_app_log_in_with_the_code(
    client, settings, make_user, enable_totp, totp_clock
):
    settings.MFA_REQUIRED_ROLES = ["admin"]
    boss = make_user("boss", is_staff=True, is_superuser=True, roles=["user", "admin"])
    secret, _ = enable_totp(boss)
    response = log_in(client, totp_clock.code(secret), username="boss")
    assert (response.status_code, response["Location"]) == (302, "/admin/")


@pytest.mark.django_db
def test_staff_of_a_role_not_required_log_in_with_the_password(client, settings, staff):
    settings.MFA_REQUIRED_ROLES = ["moderator"]
    response = log_in(client)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
