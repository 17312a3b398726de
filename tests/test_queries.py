"""accounts.queries.live_session: the hot path's hand-written query returns what the ORM would."""

from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts.models import Role, Session, User
from accounts.models.users import current_password_digest, password_digest
from accounts.queries import live_session


def field_values(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.mark.django_db
def test_returns_the_orm_instances(make_user, django_assert_num_queries):
    user = make_user("boss", roles=[Role.ADMIN, Role.USER], first_name="Zoë")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    session, _ = Session.objects.start(user, user_agent="curl/8")
    with django_assert_num_queries(1):
        found = live_session(session.pk, user.pk)
    expected = Session.objects.select_related("user").get(pk=session.pk)
    assert field_values(found) == field_values(expected)
    assert field_values(found.user) == field_values(expected.user)
    assert found.user.is_active is True and found.user.is_staff is False
    assert timezone.is_aware(found.expires_at) and timezone.is_aware(found.user.date_joined)
    assert sorted(int(i) for i in found.role_ids.split(",")) == sorted(
        user.roles.values_list("id", flat=True)
    )


@pytest.mark.django_db
def test_user_without_roles(make_user):
    user = make_user("nobody", roles=[])
    session, _ = Session.objects.start(user)
    assert live_session(session.pk, user.pk).role_ids is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil",
    [
        lambda session: Session.objects.filter(pk=session.pk).revoke(),
        lambda session: Session.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1)),
        lambda session: User.objects.filter(pk=session.user_id).update(is_active=False),
        lambda session: User.objects.filter(pk=session.user_id).update(password=make_password("x")),
        lambda session: session.delete(),
    ],
    ids=["revoked", "expired", "inactive-user", "password-changed", "deleted"],
)
def test_no_session_unless_live(alice, spoil):
    session, _ = Session.objects.start(alice)
    spoil(session)
    assert live_session(session.pk, alice.pk) is None
    # The ORM's definition of a live session agrees.
    assert not Session.objects.live().filter(pk=session.pk, user_id=alice.pk).exists()


@pytest.mark.django_db
def test_agrees_with_the_orm_definition_of_live(alice):
    session, _ = Session.objects.start(alice)
    orm = Session.objects.live().filter(pk=session.pk, user_id=alice.pk).select_related("user").get()
    found = live_session(session.pk, alice.pk)
    assert field_values(found) == field_values(orm)
    assert field_values(found.user) == field_values(orm.user)


@pytest.mark.django_db
def test_session_of_another_user_is_not_found(alice, make_user):
    session, _ = Session.objects.start(alice)
    assert live_session(session.pk, make_user("bob").pk) is None


@pytest.mark.django_db
def test_the_database_computes_the_same_password_digest(alice):
    """The SQL side of ``password_digest`` (SHA2 on MariaDB, Django's SHA256 on SQLite) matches Python's."""
    Session.objects.start(alice)
    in_sql = User.objects.filter(pk=alice.pk).values_list(current_password_digest("password"), flat=True).get()
    assert in_sql == password_digest(alice.password)


@pytest.mark.django_db
def test_the_migration_gives_existing_sessions_their_users_current_password(alice, make_user):
    """0007: live sessions opened before it stay live (nobody is signed out by the upgrade)."""
    migration = import_module("accounts.migrations.0007_session_password_digest")
    bob = make_user("bob")
    sessions = [Session.objects.start(user)[0] for user in (alice, bob)]
    Session.objects.update(password_digest="")
    assert not Session.objects.live().exists()
    migration.record_current_passwords(django_apps, SimpleNamespace(connection=connection))
    assert sorted(Session.objects.live().values_list("pk", flat=True)) == sorted(s.pk for s in sessions)
    assert live_session(sessions[1].pk, bob.pk) is not None
