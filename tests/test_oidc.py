"""
Sign-in with an OpenID Connect provider, against a real one (oidc-provider from npm, tests/oidcop.py)
reached over HTTP; authsite's side runs in the test client, on the suite's database.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from accounts.models import Role, Session, User
from oidc.models import OneTimeCode
from oidc.providers import OIDCProvider
from proxyauth.models import ExternalIdentity
from tests.oidcop import CALLBACK, NEXT, callback, login, redeem, result, sign_in


@pytest.mark.django_db
def test_the_whole_flow_opens_a_session_for_a_new_user(api, op, corp):
    location = login(api)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(op.issuer + "/auth?")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["scope"] == ["openid email profile"]
    cookie = api.cookies["authsite_oidc_flow"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/api/auth/oidc/"

    answer = result(callback(api, op.sign_in(location, "carol")))
    assert set(answer) == {"code"}
    response = redeem(api, answer["code"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "username", "email", "roles", "emailVerified", "accessToken", "refreshToken", "tokenType"}
    assert body["username"] == "carol@example.test" and body["email"] == "carol@example.test"
    assert body["roles"] == ["ROLE_USER"] and body["tokenType"] == "Bearer"
    assert response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]

    board = api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=body["accessToken"])
    assert board.status_code == 200 and board.content == b"User Content."
    refreshed = api.post("/api/auth/refreshtoken", {"refreshToken": body["refreshToken"]}, format="json")
    assert refreshed.status_code == 200

    user = User.objects.get(pk=body["id"])
    assert not user.has_usable_password() and user.email_verified
    assert list(user.roles.values_list("name", flat=True)) == [Role.USER]
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.provider, identity.subject) == (op.issuer, "carol")


@pytest.mark.django_db
def test_a_known_identity_signs_in_as_the_same_user(api, op, corp):
    first = redeem(api, sign_in(api, op, "dave")["code"]).json()
    second = redeem(api, sign_in(api, op, "dave")["code"]).json()
    assert first["id"] == second["id"] and first["refreshToken"] != second["refreshToken"]
    assert Session.objects.filter(user_id=first["id"]).count() == 2


@pytest.mark.django_db
def test_a_code_works_once_and_its_replay_revokes_the_session(api, op, corp):
    code = sign_in(api, op, "erin")["code"]
    body = redeem(api, code).json()
    again = redeem(api, code)
    assert again.status_code == 400
    assert again.json()["message"] == "Invalid or expired code!"
    refreshed = api.post("/api/auth/refreshtoken", {"refreshToken": body["refreshToken"]}, format="json")
    assert refreshed.status_code == 403


@pytest.mark.django_db
def test_an_expired_or_unknown_code_is_refused(api, op, corp):
    code = sign_in(api, op, "frank")["code"]
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert redeem(api, code).status_code == 400
    for bad in ("0" * 64, "short", 12, None):
        response = api.post("/api/auth/oidc/token", {"code": bad}, format="json")
        assert response.status_code == 400 and response.json()["message"] == "Invalid or expired code!"


@pytest.mark.django_db
def test_a_wrong_state_ends_at_next_with_an_error(api, op, corp):
    url = op.sign_in(login(api), "grace").replace("state=", "state=x")
    assert result(callback(api, url)) == {"error": "invalid_state"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(api, op, corp):
    location = login(api)
    cookie = api.cookies["authsite_oidc_flow"].value
    url = op.sign_in(location, "heidi")
    assert "code" in result(callback(api, url))
    api.cookies["authsite_oidc_flow"] = cookie  # the browser kept it (or an attacker did)
    assert result(callback(api, url)) == {"error": "invalid_state"}
    assert OneTimeCode.objects.count() == 1


@pytest.mark.django_db
def test_a_callback_without_the_flow_cookie_is_a_json_400(api, op, corp):
    url = op.sign_in(login(api), "ivan")
    api.cookies.clear()  # another browser
    response = callback(api, url)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid or expired sign-in attempt!"
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_wrong_iss_parameter_is_refused(api, op, corp):
    url = op.sign_in(login(api), "judy")
    assert "iss=" in url
    url = url.replace("iss=http", "iss=https")
    assert result(callback(api, url)) == {"error": "invalid_issuer"}


@pytest.mark.django_db
def test_denied_consent_ends_at_next_with_access_denied(api, op, corp):
    url = op.sign_in(login(api), "ken", consent=False)
    assert result(callback(api, url)) == {"error": "access_denied"}


@pytest.mark.django_db
def test_an_unreachable_provider_ends_at_next(api, corp, settings):
    from tests.servers import free_port

    settings.OIDC_PROVIDERS = {"corp": OIDCProvider(name="corp", issuer=f"http://127.0.0.1:{free_port()}", client_id="x")}
    response = api.get("/api/auth/oidc/corp/login", {"next": NEXT})
    assert result(response) == {"error": "provider_unavailable"}


@pytest.mark.django_db
def test_next_must_be_on_the_allow_list(api, corp):
    for bad in ("https://evil.example/", "javascript:alert(1)", "/relative", NEXT + "#frag", "http://localhost:19282/"):
        response = api.get("/api/auth/oidc/corp/login", {"next": bad})
        assert response.status_code == 400, bad
        assert response.json()["message"] == "Invalid next URL!"


@pytest.mark.django_db
def test_an_unknown_provider_is_a_json_404(api, corp):
    for path in ("/api/auth/oidc/nope/login", "/api/auth/oidc/nope/callback"):
        response = api.get(path, {"next": NEXT})
        assert response.status_code == 404 and response.json() == {"message": "Not found."}


@pytest.mark.django_db
def test_an_unverified_local_email_is_never_linked(api, op, corp, make_user):
    local = make_user("mallory", email="victim@example.com")  # anyone can sign up with any address
    op.set_account("victim", email="victim@example.com", email_verified=True)
    assert sign_in(api, op, "victim") == {"error": "account_exists"}
    assert not ExternalIdentity.objects.exists()
    assert list(User.objects.values_list("pk", flat=True)) == [local.pk]


@pytest.mark.django_db
def test_an_email_the_provider_does_not_verify_is_never_linked(api, op, corp, make_user):
    make_user("olivia", email="olivia@example.com", email_verified=True)
    op.set_account("olivia", email="olivia@example.com", email_verified=False)
    assert sign_in(api, op, "olivia") == {"error": "account_exists"}
    assert not ExternalIdentity.objects.exists()


@pytest.mark.django_db
def test_a_verified_email_on_both_sides_links_to_the_local_account(api, op, corp, make_user):
    local = make_user("peggy", email="Peggy@Example.com", email_verified=True)
    op.set_account("peggy", email="peggy@example.com", email_verified=True)
    body = redeem(api, sign_in(api, op, "peggy")["code"]).json()
    assert body["id"] == local.pk and body["username"] == "peggy"
    assert ExternalIdentity.objects.get().user == local


@pytest.mark.django_db
def test_a_code_the_provider_refuses_ends_at_next(api, op, corp):
    url = op.sign_in(login(api), "quinn").replace("code=", "code=forged")
    assert result(callback(api, url)) == {"error": "provider_error"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_an_identity_without_an_email_gets_no_account(api, op, corp):
    op.set_account("noemail", email=None)
    assert sign_in(api, op, "noemail") == {"error": "email_required"}
    assert not User.objects.exists()


@pytest.mark.django_db
def test_an_inactive_account_gets_no_session(api, op, corp):
    user = User.objects.get(pk=redeem(api, sign_in(api, op, "rita")["code"]).json()["id"])
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert sign_in(api, op, "rita") == {"error": "account_inactive"}
    assert Session.objects.filter(user=user).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["on", "both"])
def test_in_cookie_mode_the_code_is_traded_for_the_cookies(api, op, corp, cookie_mode, settings, mode):
    cookie_mode(mode)
    code = sign_in(api, op, "olga")["code"]
    response = redeem(api, code)
    assert response.status_code == 200
    assert response.cookies[settings.AUTH_COOKIE_ACCESS_NAME]["httponly"]
    assert response.cookies[settings.AUTH_COOKIE_REFRESH_NAME]["httponly"]
    assert ("accessToken" in response.json()) is (mode == "both")
    assert api.get("/api/test/user").status_code == 200  # the access cookie alone


@pytest.mark.django_db
def test_in_cookie_mode_a_foreign_origin_cannot_trade_a_code(api, op, corp, cookie_mode):
    cookie_mode("on")
    code = sign_in(api, op, "pavel")["code"]
    response = api.post("/api/auth/oidc/token", {"code": code}, format="json", HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert response.json() == {"message": "Origin not allowed!"}
    assert redeem(api, code).status_code == 200  # the code was not spent
