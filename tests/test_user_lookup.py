"""
The per-request lookups of token authentication and the role permissions, one raw query each:
``User.objects.get_by_id`` and ``User.role_names`` (the user and roles as they are now).
"""

import pytest
from django.utils import timezone

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_get_by_id_loads_the_same_user_as_the_orm(make_user, django_assert_num_queries):
    carol = make_user("Carol", email="Carol@Example.com", is_staff=True)
    User.objects.filter(pk=carol.pk).update(last_login=timezone.now())
    expected = User.objects.get(pk=carol.pk)
    with django_assert_num_queries(1):
        user = User.objects.get_by_id(carol.pk)
    assert type(user) is User
    for field in User._meta.concrete_fields:
        value = getattr(user, field.attname)
        assert value == getattr(expected, field.attname), field.name
        assert type(value) is type(getattr(expected, field.attname)), field.name
    assert user._state.adding is False
    assert user._state.db == "default"


def test_get_by_id_of_an_unknown_id_is_none(alice):
    assert User.objects.get_by_id(alice.pk + 1000) is None


@pytest.mark.parametrize(
    "roles",
    [(), (Role.USER,), (Role.USER, Role.MODERATOR), (Role.ADMIN,), (Role.USER, Role.MODERATOR, Role.ADMIN)],
)
def test_role_names_are_exactly_the_users_roles(make_user, roles, django_assert_num_queries):
    user = User.objects.get(pk=make_user("carol", roles=roles).pk)
    with django_assert_num_queries(1):
        assert user.role_names == frozenset(roles)
        assert all(user.has_role(name) for name in roles)


def test_role_names_ignore_other_users_roles(make_user):
    make_user("admin", roles=[Role.ADMIN, Role.MODERATOR])
    carol = make_user("carol", roles=[Role.USER])
    assert User.objects.get(pk=carol.pk).role_names == {Role.USER}


def test_a_role_granted_or_revoked_shows_on_the_next_load(alice):
    alice.roles.add(Role.objects.get(name=Role.MODERATOR))
    assert User.objects.get(pk=alice.pk).has_role(Role.MODERATOR)
    alice.roles.remove(Role.objects.get(name=Role.MODERATOR))
    assert not User.objects.get(pk=alice.pk).has_role(Role.MODERATOR)


def test_prefetched_roles_cost_no_query(moderator, django_assert_num_queries):
    user = User.objects.prefetch_related("roles").get(pk=moderator.pk)
    with django_assert_num_queries(0):
        assert user.role_names == {Role.USER, Role.MODERATOR}


@pytest.mark.parametrize(
    "path,who,status,queries",
    [
        ("/api/test/user", "alice", 200, 1),  # the user
        ("/api/test/mod", "moderator", 200, 2),  # the user, its roles
        ("/api/test/mod", "alice", 403, 2),
        ("/api/test/admin", "admin_user", 200, 2),
        ("/api/test/all", None, 200, 0),
    ],
)
def test_board_queries(api, request, token_for, django_assert_num_queries, path, who, status, queries):
    headers = {}
    if who:
        headers["HTTP_X_ACCESS_TOKEN"] = token_for(request.getfixturevalue(who))
    with django_assert_num_queries(queries):
        assert api.get(path, **headers).status_code == status
