"""
Production settings: with DJANGO_DEBUG=0 and the README's TLS variables, ``check --deploy`` is
clean; the new settings come from the environment and bad values stop the start.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    # The README's values for running behind a TLS-terminating proxy:
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_PROXY_SSL_HEADER": "1",
}
TLS_VARIABLES = [name for name in PRODUCTION_ENV if name.startswith(("SECURE_", "SESSION_", "CSRF_"))]


def manage(*args, **env):
    """Run manage.py in a fresh process with exactly the given environment (plus PATH)."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression, **env):
    result = manage("shell", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_check_deploy_is_clean_with_the_documented_tls_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_without_them():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in TLS_VARIABLES}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_defaults_of_the_security_settings():
    env = {**PRODUCTION_ENV}
    values = settings_value(
        "settings.THROTTLE_ENABLED, settings.TRUSTED_PROXY_COUNT, settings.THROTTLE_RATES, "
        "settings.JWT_ROTATE_REFRESH_TOKENS, settings.JWT_ROTATION_GRACE_SECONDS, "
        "settings.SESSIONS_PER_USER, settings.SIMPLE_JWT['ISSUER'], settings.SIMPLE_JWT['AUDIENCE'], "
        "settings.SIMPLE_JWT['LEEWAY'], settings.CACHES['default']['BACKEND'], "
        "settings.REST_FRAMEWORK['NUM_PROXIES']",
        **env,
    )
    assert values == (
        "True 0 {'signin_ip': '20/min', 'signin_user': '100/hour', 'signup_ip': '20/hour', "
        "'refresh_ip': '60/min'} False 30 10 authsite None 0 "
        "django.core.cache.backends.db.DatabaseCache 0"
    )


def test_the_security_settings_come_from_the_environment():
    env = {
        **PRODUCTION_ENV,
        "THROTTLE_ENABLED": "0",
        "TRUSTED_PROXY_COUNT": "2",
        "THROTTLE_SIGNIN_IP": "5/min",
        "THROTTLE_SIGNIN_USER": "50/hour",
        "THROTTLE_SIGNUP_IP": "3/hour",
        "THROTTLE_REFRESH_IP": "7/s",
        "JWT_ROTATE_REFRESH_TOKENS": "1",
        "JWT_ROTATION_GRACE_SECONDS": "10",
        "SESSIONS_PER_USER": "4",
        "JWT_ISSUER": "https://auth.example.com",
        "JWT_AUDIENCE": "example-api",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    values = settings_value(
        "settings.THROTTLE_ENABLED, settings.TRUSTED_PROXY_COUNT, settings.THROTTLE_RATES, "
        "settings.JWT_ROTATE_REFRESH_TOKENS, settings.JWT_ROTATION_GRACE_SECONDS, "
        "settings.SESSIONS_PER_USER, settings.SIMPLE_JWT['ISSUER'], settings.SIMPLE_JWT['AUDIENCE'], "
        "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']",
        **env,
    )
    assert values == (
        "False 2 {'signin_ip': '5/min', 'signin_user': '50/hour', 'signup_ip': '3/hour', "
        "'refresh_ip': '7/s'} True 10 4 https://auth.example.com example-api "
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3"
    )


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("THROTTLE_SIGNIN_IP", "lots", "THROTTLE_SIGNIN_IP must be a rate such as 20/min"),
        ("THROTTLE_REFRESH_IP", "0/min", "THROTTLE_REFRESH_IP must be a rate such as 20/min"),
        ("THROTTLE_SIGNUP_IP", "5/fortnight", "THROTTLE_SIGNUP_IP must be a rate such as 20/min"),
        ("THROTTLE_ENABLED", "maybe", "THROTTLE_ENABLED must be 0 or 1"),
        ("SESSIONS_PER_USER", "0", "SESSIONS_PER_USER must be at least 1."),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be 0 or more."),
    ],
)
def test_bad_values_stop_the_start(name, value, message):
    result = manage("check", **{**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert message in result.stderr
