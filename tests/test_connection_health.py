"""
authsite.connections: a persistent connection is pinged (Django's CONN_HEALTH_CHECKS) only when it
has not served a request without error for DATABASE_HEALTH_CHECK_IDLE_SECONDS.
"""

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def request_cycle():
    """What a request does to the connection: Django's and authsite's receivers, a query."""
    request_started.send(sender=None)
    # Django pings at the first query when both hold (BaseDatabaseWrapper._cursor)
    checked = connection.health_check_enabled and not connection.health_check_done
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    request_finished.send(sender=None)
    return checked


@pytest.fixture
def kept_connection(settings):
    """A connection kept between requests, as in the server (CONN_MAX_AGE), health-checked."""
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 600
    connection.settings_dict["CONN_MAX_AGE"] = 600
    connection.settings_dict["CONN_HEALTH_CHECKS"] = True
    connection.close()
    connection.ensure_connection()
    yield connection
    connection.settings_dict["CONN_MAX_AGE"] = 0


def test_a_connection_healthy_a_moment_ago_is_not_pinged(kept_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 60
    request_cycle()
    assert kept_connection.connection is not None
    assert request_cycle() is False
    assert request_cycle() is False


def test_with_a_zero_window_every_request_is_checked(kept_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 0
    assert request_cycle() is True
    assert request_cycle() is True


def test_a_connection_that_had_an_error_is_checked(kept_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 60
    request_cycle()
    request_started.send(sender=None)
    kept_connection.errors_occurred = True  # what Django's error wrapper sets on a database error
    request_finished.send(sender=None)
    # Django's own check at the request's start pings the connection (and clears the error) ...
    request_started.send(sender=None)
    assert kept_connection.errors_occurred is False
    request_finished.send(sender=None)
    # ... and the next request counts from that good request again.
    assert request_cycle() is False
