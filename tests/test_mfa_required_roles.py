"""MFA_REQUIRED_ROLES: users of those roles without a second factor can only set one up."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import Role, Session
from mfa.models import PendingSignin

from .conftest import PASSWORD

SIGNIN = "/api/auth/signin"
SETUP = "/api/auth/mfa/totp/setup"
CONFIRM = "/api/auth/mfa/totp/confirm"


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED_ROLES = [Role.ADMIN, Role.MODERATOR]


def password_step(api, username):
    return api.post(SIGNIN, {"username": username, "password": PASSWORD}, format="json")


@pytest.mark.django_db
def test_an_admin_without_a_factor_gets_only_a_setup_token(api, admin_user, required):
    response = password_step(api, "admin")
    assert response.status_code == 403
    body = response.json()
    assert set(body) == {"message", "setupToken"}
    assert body["message"] == "Second factor setup required!"
    assert not Session.objects.filter(user=admin_user).exists()
    # The token is no access token, and no mfaToken.
    assert api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN=body["setupToken"]).status_code == 401
    assert api.get("/api/auth/me", HTTP_X_MFA_SETUP_TOKEN=body["setupToken"]).status_code == 403
    response = api.post("/api/auth/signin/mfa", {"mfaToken": body["setupToken"], "code": "123456"}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_the_setup_token_sets_the_factor_up_then_the_sign_in_asks_for_it(api, moderator, required, totp_clock):
    token = password_step(api, "mod").json()["setupToken"]
    setup = api.post(SETUP, HTTP_X_MFA_SETUP_TOKEN=token)
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    confirm = api.post(CONFIRM, {"code": totp_clock.code(secret)}, format="json", HTTP_X_MFA_SETUP_TOKEN=token)
    assert confirm.status_code == 200 and len(confirm.json()["recoveryCodes"]) == 10
    # Used up at confirmation.
    assert not PendingSignin.objects.filter(user=moderator).exists()
    assert api.post(SETUP, HTTP_X_MFA_SETUP_TOKEN=token).json() == {"message": "Invalid or expired setup token!"}
    totp_clock.set(totp_clock.now + 30)
    response = password_step(api, "mod")
    assert response.status_code == 401 and response.json()["message"] == "Second factor required!"
    done = api.post(
        "/api/auth/signin/mfa", {"mfaToken": response.json()["mfaToken"], "code": totp_clock.code(secret)}, format="json"
    )
    assert done.status_code == 200 and done.json()["roles"] == ["ROLE_USER", "ROLE_MODERATOR"]


@pytest.mark.django_db
def test_the_setup_token_works_on_the_setup_endpoints_only(api, admin_user, required):
    token = password_step(api, "admin").json()["setupToken"]
    for method, url in [(api.delete, "/api/auth/mfa/totp"), (api.post, "/api/auth/mfa/recovery-codes"),
                        (api.get, "/api/auth/sessions"), (api.post, "/api/auth/password")]:
        response = method(url, {}, format="json", HTTP_X_MFA_SETUP_TOKEN=token)
        assert (response.status_code, response.json()) == (403, {"message": "No token provided!"}), url


@pytest.mark.django_db
def test_a_bad_setup_token_is_401(api, alice):
    response = api.post(SETUP, HTTP_X_MFA_SETUP_TOKEN="forged")
    assert (response.status_code, response.json()) == (401, {"message": "Invalid or expired setup token!"})


@pytest.mark.django_db
def test_other_roles_sign_in_as_before(api, alice, required):
    assert password_step(api, "alice").status_code == 200


@pytest.mark.django_db
def test_without_the_setting_admins_sign_in_as_before(api, admin_user):
    assert password_step(api, "admin").status_code == 200


@pytest.mark.django_db
def test_the_check_refuses_unknown_roles(settings):
    settings.MFA_REQUIRED_ROLES = ["admin", "superhero"]
    with pytest.raises(SystemCheckError, match=r"mfa\.E001.*superhero"):
        call_command("check", databases=["default"])
    settings.MFA_REQUIRED_ROLES = ["admin", "moderator"]
    call_command("check", databases=["default"])
