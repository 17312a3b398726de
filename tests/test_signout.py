"""POST /api/auth/signout: revokes a session; always 200."""

import pytest

from accounts.models import Session

from .conftest import PASSWORD

URL = "/api/auth/signout"
SIGNED_OUT = {"message": "You've been signed out!"}


def signin(api):
    response = api.post("/api/auth/signin", {"username": "alice", "password": PASSWORD}, format="json")
    return response.json()


def refresh_status(api, refresh_token):
    return api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json").status_code


@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_signout_by_refresh_token(api, alice, url):
    tokens, other = signin(api), signin(api)
    response = api.post(url, {"refreshToken": tokens["refreshToken"]}, format="json")
    assert (response.status_code, response.json()) == (200, SIGNED_OUT)
    assert refresh_status(api, tokens["refreshToken"]) == 403
    assert refresh_status(api, other["refreshToken"]) == 200  # other sessions stay


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["HTTP_X_ACCESS_TOKEN", "HTTP_AUTHORIZATION"])
def test_signout_by_access_token(api, alice, header):
    tokens, other = signin(api), signin(api)
    value = tokens["accessToken"] if header == "HTTP_X_ACCESS_TOKEN" else f"Bearer {tokens['accessToken']}"
    response = api.post(URL, **{header: value})
    assert (response.status_code, response.json()) == (200, SIGNED_OUT)
    assert refresh_status(api, tokens["refreshToken"]) == 403
    assert refresh_status(api, other["refreshToken"]) == 200


@pytest.mark.django_db
def test_form_encoded_body(api, alice):
    tokens = signin(api)
    response = api.generic(
        "POST", URL, f"refreshToken={tokens['refreshToken']}",
        content_type="application/x-www-form-urlencoded",
    )
    assert (response.status_code, response.json()) == (200, SIGNED_OUT)
    assert refresh_status(api, tokens["refreshToken"]) == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data,headers",
    [
        ({}, {}),
        ({"refreshToken": None}, {}),
        ({"refreshToken": "unknown"}, {}),
        ({"refreshToken": 42}, {}),
        ([], {}),
        ({}, {"HTTP_X_ACCESS_TOKEN": "garbage"}),
        ({}, {"HTTP_AUTHORIZATION": "Bearer garbage"}),
    ],
    ids=["empty", "null", "unknown", "number", "list", "bad-x-access-token", "bad-bearer"],
)
def test_always_200(api, alice, data, headers):
    tokens = signin(api)
    response = api.post(URL, data, format="json", **headers)
    assert (response.status_code, response.json()) == (200, SIGNED_OUT)
    assert refresh_status(api, tokens["refreshToken"]) == 200  # nothing was revoked


@pytest.mark.django_db
def test_signing_out_twice_is_fine(api, alice):
    tokens = signin(api)
    for _ in range(2):
        response = api.post(URL, {"refreshToken": tokens["refreshToken"]}, format="json")
        assert (response.status_code, response.json()) == (200, SIGNED_OUT)
    assert Session.objects.get().revoked_at is not None


@pytest.mark.django_db
def test_access_token_cannot_sign_out_another_users_session(api, alice, make_user, token_for):
    tokens = signin(api)
    bob = make_user("bob")
    session = Session.objects.get()
    # A token of bob's naming alice's session id revokes nothing of alice's.
    from accounts.tokens import AccessToken

    forged = AccessToken.for_session(session)
    forged["id"] = bob.pk
    api.post(URL, HTTP_X_ACCESS_TOKEN=str(forged))
    assert refresh_status(api, tokens["refreshToken"]) == 200
