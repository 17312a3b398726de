"""Linking an identity to a signed-in account, listing and unlinking identities (real provider)."""

from urllib.parse import urlsplit

import pytest

from oidc.providers import OIDCProvider
from proxyauth.models import ExternalIdentity
from tests.oidcop import NEXT, SITE, callback, redeem, result, sign_in


def start_link(api, token, next_url=NEXT, provider="corp"):
    return api.post(f"/api/auth/oidc/{provider}/link", {"next": next_url}, format="json", HTTP_X_ACCESS_TOKEN=token)


def follow_link(api, op, token, name):
    response = start_link(api, token)
    assert response.status_code == 200, response.content
    location = response.json()["location"]
    assert location.startswith(SITE + "/api/auth/oidc/corp/login?")
    parts = urlsplit(location)
    started = api.get(parts.path + "?" + parts.query)
    assert started.status_code == 302, started.content
    return result(callback(api, op.sign_in(started["Location"], name)))


@pytest.mark.django_db
def test_a_signed_in_user_links_an_identity_and_then_signs_in_with_it(api, op, corp, alice, signin):
    token = signin(alice)["accessToken"]
    assert follow_link(api, op, token, "alice-at-corp") == {"linked": "corp"}
    identity = ExternalIdentity.objects.get()
    assert identity.user == alice and identity.subject == "alice-at-corp"
    body = redeem(api, sign_in(api, op, "alice-at-corp")["code"]).json()
    assert body["id"] == alice.pk

    listed = api.get("/api/auth/identities", HTTP_X_ACCESS_TOKEN=token)
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["id"] == identity.pk and entry["issuer"] == op.issuer
    assert entry["providers"] == ["corp"] and entry["subject"] == "alice-at-corp"


@pytest.mark.django_db
def test_an_identity_of_another_account_is_not_linked(api, op, corp, alice, make_user, signin):
    redeem(api, sign_in(api, op, "taken")["code"])
    token = signin(make_user("bob"))["accessToken"]
    assert follow_link(api, op, token, "taken") == {"error": "identity_in_use"}
    assert ExternalIdentity.objects.get().user.username == "taken@example.test"


@pytest.mark.django_db
def test_a_link_ticket_works_once(api, op, corp, alice, signin):
    location = start_link(api, signin(alice)["accessToken"]).json()["location"]
    parts = urlsplit(location)
    assert api.get(parts.path + "?" + parts.query).status_code == 302
    again = api.get(parts.path + "?" + parts.query)
    assert again.status_code == 400 and again.json()["message"] == "Invalid or expired link request!"


@pytest.mark.django_db
def test_link_needs_a_signed_in_caller_and_an_allowed_next(api, corp, alice, signin):
    assert api.post("/api/auth/oidc/corp/link", {}, format="json").status_code == 403
    token = signin(alice)["accessToken"]
    refused = start_link(api, token, next_url="https://evil.example/")
    assert refused.status_code == 400 and refused.json()["message"] == "Invalid next URL!"
    assert start_link(api, token, provider="nope").status_code == 404


@pytest.mark.django_db
def test_unlinking_the_last_way_in_is_refused(api, op, corp):
    body = redeem(api, sign_in(api, op, "solo")["code"]).json()
    identity = ExternalIdentity.objects.get()
    response = api.delete(f"/api/auth/identities/{identity.pk}", HTTP_X_ACCESS_TOKEN=body["accessToken"])
    assert response.status_code == 400
    assert response.json()["message"] == "This identity is the account's last way to sign in!"
    assert ExternalIdentity.objects.exists()


@pytest.mark.django_db
def test_an_identity_is_unlinked_when_another_way_in_remains(api, op, corp, alice, signin, settings):
    token = signin(alice)["accessToken"]
    follow_link(api, op, token, "alice-1")
    identity = ExternalIdentity.objects.get()
    response = api.delete(f"/api/auth/identities/{identity.pk}", HTTP_X_ACCESS_TOKEN=token)
    assert response.status_code == 200 and response.json() == {"message": "Identity unlinked."}
    assert not ExternalIdentity.objects.exists()


@pytest.mark.django_db
def test_a_passwordless_account_with_two_identities_may_unlink_one(api, op, corp):
    body = redeem(api, sign_in(api, op, "twice")["code"]).json()
    follow_link(api, op, body["accessToken"], "twice-other")
    first, second = ExternalIdentity.objects.order_by("pk")
    auth = {"HTTP_X_ACCESS_TOKEN": body["accessToken"]}
    assert api.delete(f"/api/auth/identities/{first.pk}", **auth).status_code == 200
    assert api.delete(f"/api/auth/identities/{second.pk}", **auth).status_code == 400


@pytest.mark.django_db
def test_someone_elses_identity_is_a_404(api, op, corp, alice, signin):
    redeem(api, sign_in(api, op, "other")["code"])
    identity = ExternalIdentity.objects.get()
    token = signin(alice)["accessToken"]
    response = api.delete(f"/api/auth/identities/{identity.pk}", HTTP_X_ACCESS_TOKEN=token)
    assert response.status_code == 404 and response.json() == {"message": "Not found."}
    assert api.get("/api/auth/identities", HTTP_X_ACCESS_TOKEN=token).json() == []
    assert api.get("/api/auth/identities").status_code == 403


def test_providers_are_validated_at_start():
    from oidc.providers import from_environ

    assert from_environ({}) == {}
    google = from_environ({"OIDC_PROVIDERS": "google", "OIDC_GOOGLE_CLIENT_ID": "id"})["google"]
    assert google == OIDCProvider("google", "https://accounts.google.com", "id")
    cases = {
        "OIDC_CORP_ISSUER is required": {"OIDC_PROVIDERS": "corp", "OIDC_CORP_CLIENT_ID": "x"},
        "OIDC_GOOGLE_CLIENT_ID is required": {"OIDC_PROVIDERS": "google"},
        "OIDC_CORP_ISSUER must be an https:// URL": {
            "OIDC_PROVIDERS": "corp", "OIDC_CORP_ISSUER": "http://idp.example", "OIDC_CORP_CLIENT_ID": "x"},
        "OIDC_GOOGLE_SCOPES must include email": {
            "OIDC_PROVIDERS": "google", "OIDC_GOOGLE_CLIENT_ID": "x", "OIDC_GOOGLE_SCOPES": "openid"},
        "is not a provider name": {"OIDC_PROVIDERS": "my-idp"},
        "names 'google' twice": {"OIDC_PROVIDERS": "google,google", "OIDC_GOOGLE_CLIENT_ID": "x"},
    }
    for message, environ in cases.items():
        with pytest.raises(ValueError, match=message):
            from_environ(environ)


@pytest.mark.parametrize(
    "environ,message",
    [
        ({"OIDC_PROVIDERS": "corp"}, "OIDC_CORP_ISSUER is required for the OIDC provider 'corp'."),
        ({"OIDC_REDIRECT_ORIGINS": "localhost:8081"}, "OIDC_REDIRECT_ORIGINS: 'localhost:8081' is not an origin"),
        ({"OIDC_HTTP_TIMEOUT": "0"}, "OIDC_HTTP_TIMEOUT must be at least 1, not 0."),
    ],
)
def test_bad_oidc_settings_are_refused_at_start(environ, message):
    from tests.test_settings import start

    code, output = start(DJANGO_DEBUG="1", **environ)
    assert code != 0 and message in output and "ImproperlyConfigured" in output


@pytest.mark.django_db
def test_admin_shows_a_users_identities_and_searches_them(make_user, alice):
    from django.test import Client

    staff = make_user("staff", is_staff=True, is_superuser=True)
    identity = ExternalIdentity.objects.create(provider="https://idp.example", subject="s-123", user=alice)
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert page.status_code == 200 and b"s-123" in page.content and b"https://idp.example" in page.content
    for term in ("s-123", "idp.example", "alice"):
        found = client.get("/admin/proxyauth/externalidentity/", {"q": term})
        assert f"/admin/proxyauth/externalidentity/{identity.pk}/change/".encode() in found.content, term
    ExternalIdentity.objects.create(provider="https://other.example", subject="s-456", user=alice)
    filtered = client.get("/admin/proxyauth/externalidentity/", {"provider": "https://other.example"})
    assert filtered.status_code == 200 and b"s-456" in filtered.content and b"s-123" not in filtered.content


@pytest.mark.django_db
def test_a_link_whose_account_was_deactivated_meanwhile_links_nothing(api, op, corp, alice, signin):
    response = start_link(api, signin(alice)["accessToken"])
    parts = urlsplit(response.json()["location"])
    started = api.get(parts.path + "?" + parts.query)
    alice.is_active = False
    alice.save()
    assert result(callback(api, op.sign_in(started["Location"], "late"))) == {"error": "account_inactive"}
    assert not ExternalIdentity.objects.exists()
