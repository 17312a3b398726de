"""
MariaDB's prepared statement for the hot path's query (``accounts.queries.PreparedLiveSessionStatement``):
its life follows the connection's. Marked ``mariadb``: deselected when the suite runs on SQLite or
PostgreSQL (CI runs the whole suite on MariaDB as well); tests/test_queries.py holds both statements
to the ORM's answers on every database.
"""

import pytest
from django.db import connection

from accounts import queries
from accounts.models import Session
from accounts.queries import SESSION_FIELDS, USER_FIELDS, PreparedLiveSessionStatement, live_session

from .test_queries import field_values, selected

pytestmark = pytest.mark.mariadb


@pytest.fixture(autouse=True)
def fresh_statements(monkeypatch):
    """Each test builds its statement afresh (as a new process would)."""
    monkeypatch.setattr(queries, "_statements", {})


def server_counts():
    """How many ``PREPARE`` and ``EXECUTE`` statements this connection has run, and its id."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS WHERE Variable_name IN ('Com_prepare_sql', 'Com_execute_sql')")
        counts = dict(cursor.fetchall())
        cursor.execute("SELECT CONNECTION_ID()")
        (connection_id,) = cursor.fetchone()
    return int(counts["Com_prepare_sql"]), int(counts["Com_execute_sql"]), connection_id


def assert_orm_answer(found, session):
    expected = Session.objects.live().filter(pk=session.pk).select_related("user").get()
    assert field_values(found) == selected(expected, SESSION_FIELDS)
    assert field_values(found.user) == selected(expected.user, USER_FIELDS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_prepared_once_per_connection_and_again_after_a_reconnect(alice, django_assert_num_queries):
    session, _ = Session.objects.start(alice)
    connection.close()
    # A request's one query, whether or not its connection had the statement yet.
    with django_assert_num_queries(1):
        found = live_session(session.pk, alice.pk)
    assert_orm_answer(found, session)
    with django_assert_num_queries(1):
        live_session(session.pk, alice.pk)
    assert server_counts()[:2] == (1, 2)
    first_connection = server_counts()[2]

    connection.close()
    with django_assert_num_queries(1):
        found = live_session(session.pk, alice.pk)
    assert_orm_answer(found, session)
    prepares, executes, connection_id = server_counts()
    assert (prepares, executes) == (1, 1) and connection_id != first_connection


@pytest.mark.django_db
def test_prepared_again_when_the_server_has_forgotten_it(alice):
    session, _ = Session.objects.start(alice)
    live_session(session.pk, alice.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE PREPARE {PreparedLiveSessionStatement.name}")
    prepares, executes, _ = server_counts()
    assert_orm_answer(live_session(session.pk, alice.pk), session)
    # The EXECUTE that failed, the PREPARE, the EXECUTE that answered.
    assert server_counts()[:2] == (prepares + 1, executes + 2)
    Session.objects.filter(pk=session.pk).revoke()
    assert live_session(session.pk, alice.pk) is None


@pytest.mark.django_db
def test_the_plain_statement_when_the_server_takes_no_more_prepared_statements(alice, monkeypatch):
    """At ``max_prepared_stmt_count`` (global: simulated, as MariaDB answers it) the connection runs the plain query."""
    session, _ = Session.objects.start(alice)
    statement = queries._statements["default", "mysql"] = PreparedLiveSessionStatement(connection)
    monkeypatch.setattr(statement, "prepare_sql", "SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = 1461, MESSAGE_TEXT = %s")
    monkeypatch.setattr(statement, "prepared_text", "Can't create more than max_prepared_stmt_count statements")
    prepares, executes, _ = server_counts()
    assert_orm_answer(live_session(session.pk, alice.pk), session)
    assert_orm_answer(live_session(session.pk, alice.pk), session)
    assert server_counts()[:2] == (prepares, executes)
    assert statement.prepared[connection.connection] is False


