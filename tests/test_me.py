"""GET /api/auth/me: the caller, from the authentication's one query."""

import pytest

from accounts.models import Role


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/auth/me/"])
@pytest.mark.parametrize(
    "roles, authorities",
    [
        ([Role.USER], ["ROLE_USER"]),
        ([Role.ADMIN, Role.USER, Role.MODERATOR], ["ROLE_USER", "ROLE_MODERATOR", "ROLE_ADMIN"]),
        ([Role.ADMIN], ["ROLE_ADMIN"]),
        ([], []),
    ],
)
def test_me_describes_the_caller(api, make_user, token_for, django_assert_num_queries, path, roles, authorities):
    user = make_user("Carol", email="carol@example.com", roles=roles)
    token = token_for(user)
    with django_assert_num_queries(1):
        response = api.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "Carol",
        "email": "carol@example.com",
        "roles": authorities,
        "emailVerified": False,  # authsite's extra field (recovery)
    }
    assert "no-store" in response["Cache-Control"]


def test_me_with_a_bad_token_is_401(api, db):
    response = api.get("/api/auth/me", HTTP_X_ACCESS_TOKEN="not-a-jwt")
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized!"})


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_me_is_read_only(api, alice, token_for, method):
    response = getattr(api, method)("/api/auth/me", HTTP_X_ACCESS_TOKEN=token_for(alice))
    assert response.status_code == 405
    assert set(response.json()) == {"message"}
