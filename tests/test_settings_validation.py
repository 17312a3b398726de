"""
Settings that would break the service are refused at start, naming the variable; the same rules,
for settings set in code, are system checks with stable ids (authsite/checks.py), and
``check --deploy`` reports the legal-but-unsafe ones.
"""

from datetime import timedelta

import pytest
from django.core.checks import Error, Warning

from authsite import checks
from tests.test_production_settings import PRODUCTION_KEYS
from tests.test_settings import start


@pytest.mark.parametrize(
    "variable,value,message",
    [
        ("JWT_ACCESS_TOKEN_LIFETIME", "-5", "JWT_ACCESS_TOKEN_LIFETIME must be at least 1, not -5."),
        ("JWT_ACCESS_TOKEN_LIFETIME", "0", "JWT_ACCESS_TOKEN_LIFETIME must be at least 1, not 0."),
        ("JWT_REFRESH_TOKEN_LIFETIME", "0", "JWT_REFRESH_TOKEN_LIFETIME must be at least 1, not 0."),
        ("MAX_REQUEST_BODY_BYTES", "-1", "MAX_REQUEST_BODY_BYTES must be at least 1024, not -1."),
        ("MAX_REQUEST_BODY_BYTES", "10", "MAX_REQUEST_BODY_BYTES must be at least 1024, not 10."),
        ("DATABASE_CONN_MAX_AGE", "-1", "DATABASE_CONN_MAX_AGE must be at least 0, not -1."),
        ("JWT_ROTATION_GRACE_SECONDS", "-30", "JWT_ROTATION_GRACE_SECONDS must be at least 0, not -30."),
        ("SECURE_HSTS_SECONDS", "-1", "SECURE_HSTS_SECONDS must be at least 0, not -1."),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, not 'LOUD'."),
    ],
)
def test_refuses_to_start_with_a_value_that_breaks_the_service(variable, value, message):
    code, output = start(DJANGO_DEBUG="1", **{variable: value})
    assert code != 0
    assert message in output
    assert "ImproperlyConfigured" in output and "ValueError" not in output


def test_accepts_the_smallest_working_values():
    code, output = start(
        DJANGO_DEBUG="1", JWT_ACCESS_TOKEN_LIFETIME="1", JWT_REFRESH_TOKEN_LIFETIME="1",
        MAX_REQUEST_BODY_BYTES="1024", DATABASE_CONN_MAX_AGE="0", JWT_ROTATION_GRACE_SECONDS="0",
        SECURE_HSTS_SECONDS="0", LOG_LEVEL="warning",
    )
    assert code == 0, output


def ids(messages):
    return [message.id for message in messages]


def test_range_checks_pass_with_the_defaults():
    assert checks.check_lifetimes() == []
    assert checks.check_request_limits() == []
    assert checks.check_middleware_order() == []


def test_access_and_refresh_lifetimes_must_be_positive(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "ACCESS_TOKEN_LIFETIME": timedelta(seconds=-5)}
    settings.REFRESH_TOKEN_LIFETIME = timedelta(0)
    found = checks.check_lifetimes()
    assert ids(found) == ["authsite.E001", "authsite.E002"]
    assert all(isinstance(message, Error) for message in found)
    assert "JWT_ACCESS_TOKEN_LIFETIME" in found[0].hint


def test_rotation_grace_must_not_be_negative(settings):
    settings.JWT_ROTATION_GRACE_SECONDS = -1
    assert ids(checks.check_lifetimes()) == ["authsite.E005"]


@pytest.mark.parametrize("limit", [-1, 0, 1023, None])
def test_body_limit_must_be_at_least_a_kibibyte(settings, limit):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = limit
    assert ids(checks.check_request_limits()) == ["authsite.E003"]


def test_connection_age_must_not_be_negative(settings, monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", -1)
    assert ids(checks.check_request_limits()) == ["authsite.E004"]


def test_middleware_order_is_checked(settings):
    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = middleware[1:] + middleware[:1]
    assert ids(checks.check_middleware_order()) == ["authsite.E006"]
    body_limit = "authsite.middleware.RequestBodyLimitMiddleware"
    without = [m for m in middleware if m != body_limit]
    settings.MIDDLEWARE = [without[0], body_limit, *without[1:]]
    assert ids(checks.check_middleware_order()) == ["authsite.E006"]


def test_deploy_checks(settings):
    assert checks.check_deploy() == []
    settings.ALLOWED_HOSTS = ["*"]
    settings.THROTTLE_ENABLED = False
    found = checks.check_deploy()
    assert ids(found) == ["authsite.W001", "authsite.W002"]
    assert all(isinstance(message, Warning) for message in found)


def test_check_deploy_reports_them_by_id():
    code, output = start(
        "check", "--deploy", **{**PRODUCTION_KEYS, "DJANGO_ALLOWED_HOSTS": "*", "THROTTLE_ENABLED": "0"}
    )
    assert "(authsite.W001)" in output
    assert "(authsite.W002)" in output


def test_plain_check_leaves_out_the_deploy_checks():
    code, output = start("check", **{**PRODUCTION_KEYS, "DJANGO_ALLOWED_HOSTS": "*", "THROTTLE_ENABLED": "0"})
    assert code == 0, output
    assert "authsite.W00" not in output


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache"]
)
def test_the_throttle_cache_must_be_shared(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}
    assert ids(checks.check_cache()) == ["authsite.E008"]
    settings.THROTTLE_ENABLED = False
    assert ids(checks.check_cache()) == []


def test_the_database_cache_on_sqlite_needs_immediate_transactions(settings, monkeypatch):
    settings.CACHES = {"default": settings.DATABASE_CACHE}
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", "django.db.backends.sqlite3")
    monkeypatch.setitem(settings.DATABASES["default"], "OPTIONS", {"timeout": 20})
    assert ids(checks.check_cache()) == ["authsite.E009"]
    monkeypatch.setitem(settings.DATABASES["default"], "OPTIONS", {"transaction_mode": "IMMEDIATE"})
    assert ids(checks.check_cache()) == []


def test_the_configured_cache_passes(settings):
    assert ids(checks.check_cache()) == []
    assert ids(checks.check_simple_jwt_keys()) == []


def test_an_inert_simple_jwt_key_is_reported(settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "REFRESH_TOKEN_LIFETIME": 60}
    assert ids(checks.check_simple_jwt_keys()) == ["authsite.W003"]
