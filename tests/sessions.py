"""
Helpers of the session tests: the token headers, refresh, whether a session is alive, and every
way a session ends (``end_by_*``), shared by tests/test_session_*.py.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.utils import timezone

from accounts.models import Session, User
from accounts.tokens import AccessToken

UNAUTHORIZED = {"message": "Unauthorized!"}
NOT_IN_DATABASE = {"message": "Refresh token is not in database!"}


def x_access_token(token):
    return {"HTTP_X_ACCESS_TOKEN": token}


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


HEADER_FORMS = [pytest.param(x_access_token, id="x-access-token"), pytest.param(bearer, id="bearer")]


def refresh(api, refresh_token):
    return api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")


def assert_session_dead(api, tokens):
    """The session of ``tokens`` (a signin body) is over, for both kinds of token."""
    response = api.get("/api/test/user", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, NOT_IN_DATABASE)


def assert_session_alive(api, tokens):
    assert api.get("/api/test/user", **x_access_token(tokens["accessToken"])).status_code == 200
    assert refresh(api, tokens["refreshToken"]).status_code == 200


def end_by_signout_refresh_token(api, user, tokens):
    api.post("/api/auth/signout", {"refreshToken": tokens["refreshToken"]}, format="json")


def end_by_signout_access_token(api, user, tokens):
    api.post("/api/auth/signout", **x_access_token(tokens["accessToken"]))


def end_by_delete_session(api, user, tokens):
    session_id = AccessToken(tokens["accessToken"])["sid"]
    response = api.delete(f"/api/auth/sessions/{session_id}", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (200, {"message": "Session revoked."})


def end_by_deactivation(api, user, tokens):
    user.is_active = False
    user.save()


def end_by_deactivation_update(api, user, tokens):
    # A bulk update bypasses save(): the is_active check in the session query still refuses.
    User.objects.filter(pk=user.pk).update(is_active=False)


def end_by_deletion(api, user, tokens):
    user.delete()


def end_by_password_set_elsewhere(api, user, tokens):
    # The admin's password form and `changepassword` end in set_password() + save().
    user.set_password("another horse 34")
    user.save()


def end_by_password_update(api, user, tokens):
    # A bulk update bypasses save() and every hook: the session's password digest stops matching.
    User.objects.filter(pk=user.pk).update(password=make_password("another horse 34"))


def end_by_expiry(api, user, tokens):
    Session.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))


def end_by_eviction(api, user, tokens):
    with override_settings(SESSIONS_PER_USER=1):
        Session.objects.start(user)
