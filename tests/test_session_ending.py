"""
Sessions end at once: every way a session ends makes its access tokens fail on the very next
request (401 ``Unauthorized!``) and its refresh token fail with 403 ``Refresh token is not in
database!``; and the one-query budget of a protected request, roles read fresh on each.
"""


import pytest
from django.core.management import call_command

from accounts.models import Role
from accounts.tokens import AccessToken
from tests.sessions import (
    HEADER_FORMS,
    NOT_IN_DATABASE,
    UNAUTHORIZED,
    assert_session_alive,
    assert_session_dead,
    bearer,
    end_by_deactivation,
    end_by_deactivation_update,
    end_by_delete_session,
    end_by_deletion,
    end_by_eviction,
    end_by_expiry,
    end_by_password_set_elsewhere,
    end_by_password_update,
    end_by_signout_access_token,
    end_by_signout_refresh_token,
    refresh,
    x_access_token,
)

# -- ending a session, every way ----

@pytest.mark.parametrize(
    "end",
    [
        end_by_signout_refresh_token,
        end_by_signout_access_token,
        end_by_delete_session,
        end_by_deactivation,
        end_by_deactivation_update,
        end_by_deletion,
        end_by_password_set_elsewhere,
        end_by_password_update,
        end_by_eviction,
    ],
)
def test_an_ended_session_fails_on_the_next_request(api, alice, signin, end):
    tokens = signin(alice)
    assert_session_alive(api, tokens)
    end(api, alice, tokens)
    assert_session_dead(api, tokens)


def test_an_expired_session_refuses_its_access_tokens_and_refresh_says_expired(api, alice, signin):
    tokens = signin(alice)
    end_by_expiry(api, alice, tokens)
    response = api.get("/api/test/user", **x_access_token(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    response = refresh(api, tokens["refreshToken"])
    assert response.status_code == 403
    assert response.json() == {"message": "Refresh token was expired. Please make a new signin request"}


def test_ending_one_session_leaves_the_others_alive(api, alice, signin):
    first, second = signin(alice), signin(alice)
    end_by_signout_refresh_token(api, alice, first)
    assert_session_dead(api, first)
    assert_session_alive(api, second)


def test_deactivation_revokes_the_sessions_so_reactivation_does_not_revive_them(api, alice, signin):
    tokens = signin(alice)
    alice.is_active = False
    alice.save()
    alice.is_active = True
    alice.save()
    assert_session_dead(api, tokens)


def test_a_deleted_user_refreshing_gets_403_not_500(api, alice, signin):
    # simplejwt 5.5.1's TokenRefreshView answers 500 here; authsite's refresh must not.
    tokens = signin(alice)
    alice.delete()
    response = refresh(api, tokens["refreshToken"])
    assert (response.status_code, response.json()) == (403, NOT_IN_DATABASE)


@pytest.mark.parametrize("claims", [{"sid": None}, {"sid": "1"}, {"sid": 10**9}, {"id": 10**9}])
def test_an_access_token_naming_no_live_session_of_its_user_is_refused(api, alice, signin, claims):
    tokens = signin(alice)
    token = AccessToken(tokens["accessToken"])
    for claim, value in claims.items():
        if value is None:
            del token[claim]
        else:
            token[claim] = value
    response = api.get("/api/test/user", **x_access_token(str(token)))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_an_access_token_naming_another_users_session_is_refused(api, alice, make_user, signin):
    bob = make_user("bob")
    token = AccessToken(signin(alice)["accessToken"])
    token["sid"] = AccessToken(signin(bob)["accessToken"])["sid"]
    response = api.get("/api/test/user", **x_access_token(str(token)))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


# -- the query budget ------------------------------------------------------------------------


# The 200 cases: tests/test_content.py::test_query_count.


@pytest.mark.parametrize("header", HEADER_FORMS)
@pytest.mark.parametrize(
    "path, message",
    [("/api/test/mod", "Require Moderator Role!"), ("/api/test/admin", "Require Admin Role!")],
)
def test_a_refused_role_costs_one_query(
    api, alice, token_for, django_assert_num_queries, header, path, message
):
    token = token_for(alice)
    with django_assert_num_queries(1):
        response = api.get(path, **header(token))
    assert (response.status_code, response.json()) == (403, {"message": message})


def test_a_session_under_an_old_password_costs_one_query(api, alice, signin, django_assert_num_queries):
    tokens = signin(alice)
    end_by_password_update(api, alice, tokens)
    with django_assert_num_queries(1):
        response = api.get("/api/test/user", **bearer(tokens["accessToken"]))
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_a_revoked_session_costs_one_query(api, alice, signin, django_assert_num_queries):
    tokens = signin(alice)
    end_by_signout_refresh_token(api, alice, tokens)
    with django_assert_num_queries(1):
        response = api.get("/api/test/user", **bearer(tokens["accessToken"]))
    assert response.status_code == 401


def test_a_user_without_any_role_is_still_a_signed_in_user(api, make_user, token_for):
    token = token_for(make_user("norole", roles=[]))
    assert api.get("/api/test/user", **x_access_token(token)).status_code == 200
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 403


def revoke_with_command(user, role):
    call_command("roles", "revoke", user.username, role)


def revoke_in_admin(user, role):
    user.roles.remove(Role.objects.get(name=role))


def revoke_by_deleting_the_role(user, role):
    # No m2m signal fires for this one: a cached role list would miss it.
    Role.objects.filter(name=role).delete()


@pytest.mark.parametrize("revoke", [revoke_with_command, revoke_in_admin, revoke_by_deleting_the_role])
def test_a_removed_role_is_refused_on_the_next_request(api, moderator, token_for, revoke):
    token = token_for(moderator)
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    revoke(moderator, Role.MODERATOR)
    response = api.get("/api/test/mod", **x_access_token(token))
    assert (response.status_code, response.json()) == (403, {"message": "Require Moderator Role!"})


def test_a_granted_role_is_honoured_on_the_next_request(api, alice, token_for):
    token = token_for(alice)
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 403
    call_command("roles", "grant", "alice", "admin")
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 200


@pytest.mark.parametrize("name", ["a,b", "x:y", "1:admin", "ünï,cödé:", "%s"])
def test_any_role_name_is_read_back_exactly(api, make_user, token_for, name, django_assert_num_queries):
    """Role names made by the ORM or a fixture (the admin, loaddata) break nobody's requests."""
    odd = Role.objects.create(name=name)
    user = make_user("odd", roles=[Role.USER, Role.MODERATOR])
    user.roles.add(odd)
    token = token_for(user)
    assert api.get("/api/test/user", **x_access_token(token)).status_code == 200  # reads the new role
    with django_assert_num_queries(1):
        assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    response = api.get("/api/auth/me", **x_access_token(token))
    assert response.json()["roles"] == ["ROLE_USER", "ROLE_MODERATOR", f"ROLE_{name.upper()}"]


def test_a_renamed_role_reads_under_its_new_name_on_the_next_request(api, moderator, token_for):
    token = token_for(moderator)
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 200
    role = Role.objects.get(name=Role.MODERATOR)
    role.name = "mods"
    role.save()  # as the admin does
    assert api.get("/api/auth/me", **x_access_token(token)).json()["roles"] == ["ROLE_USER", "ROLE_MODS"]
    assert api.get("/api/test/mod", **x_access_token(token)).status_code == 403


def test_a_user_holding_many_roles_is_read_in_full(api, make_user, token_for):
    """Role ids, not names, are aggregated: far from MySQL's group_concat_max_len (1024 bytes)."""
    many = Role.objects.bulk_create(Role(name=f"r{n:018d}") for n in range(120))
    user = make_user("many", roles=[Role.USER, Role.ADMIN])
    user.roles.add(*Role.objects.filter(name__startswith="r0"))
    token = token_for(user)
    roles = api.get("/api/auth/me", **x_access_token(token)).json()["roles"]
    assert len(roles) == 2 + len(many)
    assert api.get("/api/test/admin", **x_access_token(token)).status_code == 200
