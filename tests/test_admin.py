"""The Django admin: users with their roles, roles with user counts, sessions."""

import logging

import pytest

from accounts.models import Role, Session, User

from .conftest import PASSWORD


@pytest.fixture
def staff_client(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    assert client.login(username="ROOT", password=PASSWORD)  # admin login is caseless too
    return client


@pytest.mark.django_db
def test_user_list_shows_roles_filters_and_searches(staff_client, make_user):
    make_user("mod", roles=[Role.USER, Role.MODERATOR])
    make_user("plain")
    response = staff_client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert b"user, moderator" in response.content
    moderator_id = Role.objects.get(name=Role.MODERATOR).pk
    response = staff_client.get(f"/admin/accounts/user/?roles__id__exact={moderator_id}")
    assert response.status_code == 200
    assert b">mod<" in response.content and b">plain<" not in response.content
    response = staff_client.get("/admin/accounts/user/?q=plain@example")
    assert b">plain<" in response.content and b">mod<" not in response.content


@pytest.mark.django_db
def test_user_change_page_edits_roles(staff_client, alice):
    response = staff_client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert response.status_code == 200
    assert b'name="roles"' in response.content
    admin_id = Role.objects.get(name=Role.ADMIN).pk
    data = {
        "username": "alice",
        "email": "alice@example.com",
        "roles": [admin_id],
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = staff_client.post(f"/admin/accounts/user/{alice.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert [role.name for role in alice.roles.all()] == [Role.ADMIN]


@pytest.mark.django_db
def test_add_user_with_roles(staff_client):
    response = staff_client.get("/admin/accounts/user/add/")
    assert response.status_code == 200
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "usable_password": "true",
        "roles": [Role.objects.get(name=Role.MODERATOR).pk],
    }
    response = staff_client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(username="newbie")
    assert [role.name for role in user.roles.all()] == [Role.MODERATOR]
    assert user.username_key == "newbie"


@pytest.mark.django_db
@pytest.mark.parametrize("username,email", [("ALICE", "new@example.com"), ("new", "ALICE@example.com")])
def test_add_user_refuses_caseless_duplicates(staff_client, alice, username, email):
    data = {
        "username": username,
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "usable_password": "true",
    }
    response = staff_client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 200  # the form again, with the error
    assert b"already exists" in response.content
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_role_list_counts_users(staff_client, make_user):
    make_user("a", roles=[Role.USER])
    make_user("b", roles=[Role.USER, Role.ADMIN])
    response = staff_client.get("/admin/accounts/role/")
    assert response.status_code == 200
    counts = {role.name: role.user_count for role in response.context["cl"].result_list}
    assert counts == {"user": 3, "moderator": 0, "admin": 1}


@pytest.mark.django_db
def test_sessions_list_and_bulk_revoke(staff_client, alice):
    first, _ = Session.objects.start(alice)
    second, _ = Session.objects.start(alice)
    response = staff_client.get("/admin/accounts/session/")
    assert response.status_code == 200
    response = staff_client.post(
        "/admin/accounts/session/",
        {"action": "revoke_sessions", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert Session.objects.filter(revoked_at=None).count() == 0


@pytest.mark.django_db
def test_a_password_set_in_the_admin_ends_the_users_sessions_and_is_logged(staff_client, alice, signin, api, caplog):
    tokens = signin(alice)
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = staff_client.post(
            f"/admin/accounts/user/{alice.pk}/password/",
            {"password1": "another horse 34", "password2": "another horse 34", "usable_password": "true"},
        )
    assert response.status_code == 302
    events = [r.getMessage() for r in caplog.records if r.name == "authsite.security"]
    assert any('"event": "password_changed"' in e and f'"user": {alice.pk}' in e for e in events)
    response = api.get("/api/test/user", HTTP_X_ACCESS_TOKEN=tokens["accessToken"])
    assert (response.status_code, response.json()) == (401, {"message": "Unauthorized!"})
