"""
Database errors that no request data causes are 503 ``{"message": ...}`` with ``Retry-After``,
never a 500, on SQLite and MariaDB alike (MariaDB raised ``ProgrammingError`` 1146 for a missing
table, which was a 500; SQLite raises ``OperationalError``). ``/readyz`` checks what requests need:
every migration applied, the throttle cache reachable. ``migrate`` creates the database cache
table whichever cache is configured.
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from authsite.exceptions import UNAVAILABLE_MESSAGE
from tests.conftest import CACHE_TABLE, PASSWORD, REDIS_URL

DATABASE_CACHE = {"default": settings.DATABASE_CACHE}
UNREACHABLE_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
}
REDIS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}


def assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    assert response.json() == {"message": UNAVAILABLE_MESSAGE}


def cache_table_exists():
    return CACHE_TABLE in connection.introspection.table_names()


def signin(api, username="alice", password=PASSWORD):
    return api.post("/api/auth/signin", {"username": username, "password": password}, format="json")


# --- readiness -----------------------------------------------------------------------------------


def test_readiness_is_503_while_a_migration_is_not_applied(api, db):
    MigrationRecorder.Migration.objects.filter(app="accounts").order_by("-name")[:1].get().delete()
    assert_unavailable(api.get("/readyz"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(CACHES=DATABASE_CACHE)
def test_readiness_is_503_without_the_cache_table(api, without_cache_table):
    assert_unavailable(api.get("/readyz"))


@override_settings(CACHES=UNREACHABLE_REDIS)
def test_readiness_is_503_while_redis_is_unreachable(api, db):
    assert_unavailable(api.get("/readyz"))


@override_settings(CACHES=REDIS_CACHE)
def test_readiness_is_200_with_a_reachable_redis(api, db):
    assert api.get("/readyz").status_code == 200


# --- the cache table --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrate_with_redis_configured_creates_the_cache_table_too(without_cache_table):
    assert not cache_table_exists()
    with override_settings(CACHES=REDIS_CACHE):
        call_command("migrate", verbosity=0)
    assert cache_table_exists()


# --- requests ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(CACHES=DATABASE_CACHE)
@pytest.mark.parametrize("path", ["/api/auth/signin", "/api/auth/signup", "/api/auth/refreshtoken"])
def test_a_throttled_endpoint_without_its_table_is_503_and_the_connection_is_dropped(
    api, without_cache_table, path
):
    assert_unavailable(api.post(path, {"username": "alice", "password": PASSWORD}, format="json"))
    # A worker whose connection lost its database (dropped, recreated) starts afresh.
    assert connection.connection is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(CACHES=DATABASE_CACHE)
def test_admin_login_without_the_cache_table_is_503(client, without_cache_table):
    assert_unavailable(client.post("/admin/login/", {"username": "root", "password": PASSWORD}))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(CACHES=DATABASE_CACHE)
def test_admin_login_with_the_database_down_is_503(client, database_down):
    assert_unavailable(client.post("/admin/login/", {"username": "root", "password": PASSWORD}))
