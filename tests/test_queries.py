"""accounts.queries.live_session: the hot path's hand-written query returns what the ORM would."""

from datetime import timedelta
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts import queries
from accounts.models import Role, Session, User
from accounts.models.users import current_password_digest, password_digest
from accounts.queries import (
    SESSION_FIELDS,
    USER_FIELDS,
    LiveSessionStatement,
    PreparedLiveSessionStatement,
    live_session,
    statement_for,
)


@pytest.fixture(autouse=True, params=["backend's", "plain"])
def statement(request, monkeypatch):
    """
    Every test runs with the statement the backend gets (prepared on MariaDB) and with the plain
    one (MySQL's, SQLite's, PostgreSQL's), each built afresh: both give the ORM's answers.
    """
    monkeypatch.setattr(queries, "_statements", {})
    if request.param == "plain":
        monkeypatch.setattr(queries, "statement_for", LiveSessionStatement)
    return request.param


def field_values(instance):
    """The loaded fields' values (reading a deferred one would cost a query)."""
    deferred = instance.get_deferred_fields()
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    }


def selected(expected, attnames):
    return {name: value for name, value in field_values(expected).items() if name in attnames}


@pytest.mark.django_db
def test_returns_the_orm_instances(make_user, django_assert_num_queries):
    user = make_user("boss", roles=[Role.ADMIN, Role.USER], first_name="Zoë")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    session, _ = Session.objects.start(user, user_agent="curl/8")
    with django_assert_num_queries(1):
        found = live_session(session.pk, user.pk)
        # Its user is cached on it, as select_related would have it.
        assert found.user.pk == user.pk
    expected = Session.objects.select_related("user").get(pk=session.pk)
    assert field_values(found) == selected(expected, SESSION_FIELDS)
    assert field_values(found.user) == selected(expected.user, USER_FIELDS)
    assert found.user.is_active is True and found.user.email_verified is False
    assert timezone.is_aware(found.expires_at)
    # The rest is deferred, as .only() leaves it: one query per field read, the ORM's values.
    assert found.user.get_deferred_fields() == {f.attname for f in User._meta.concrete_fields} - set(USER_FIELDS)
    with django_assert_num_queries(1):
        assert found.user.date_joined == expected.user.date_joined
    assert timezone.is_aware(found.user.date_joined)
    assert found.user.is_staff is False and found.user.first_name == "Zoë"
    assert found.user.password == expected.user.password
    with django_assert_num_queries(1):
        assert found.user_agent == "curl/8"
    assert not found._state.adding and found._state.db == found.user._state.db == "default"
    assert sorted(found.role_ids) == sorted(user.roles.values_list("id", flat=True))


@pytest.mark.django_db
def test_user_without_roles(make_user):
    user = make_user("nobody", roles=[])
    session, _ = Session.objects.start(user)
    assert live_session(session.pk, user.pk).role_ids == []


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
    assert field_values(found) == selected(orm, SESSION_FIELDS)
    assert field_values(found.user) == selected(orm.user, USER_FIELDS)


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


@pytest.mark.django_db
def test_instances_are_built_by_django_so_init_receivers_see_them(alice):
    """The instances come from Django's ``Model.from_db``: a ``post_init`` receiver sees them."""
    from django.db.models.signals import post_init

    session, _ = Session.objects.start(alice)
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=User)
    try:
        found = live_session(session.pk, alice.pk)
    finally:
        post_init.disconnect(receiver, sender=User)
    assert seen == [found.user]
    assert field_values(found.user) == selected(User.objects.get(pk=alice.pk), USER_FIELDS)


def is_mariadb():
    return connection.vendor == "mysql" and connection.mysql_is_mariadb


@pytest.mark.django_db
def test_the_backend_gets_the_prepared_statement_on_mariadb_only():
    kind = PreparedLiveSessionStatement if is_mariadb() else LiveSessionStatement
    assert type(statement_for(connection)) is kind


@pytest.mark.django_db
def test_one_session_with_all_its_roles(make_user):
    """One row per role comes back from the join: still one session, every role id once."""
    user = make_user("all", roles=[Role.USER, Role.MODERATOR, Role.ADMIN])
    session, _ = Session.objects.start(user)
    found = live_session(session.pk, user.pk)
    assert found.pk == session.pk
    assert sorted(found.role_ids) == sorted(Role.objects.values_list("id", flat=True))
