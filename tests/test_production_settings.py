"""
Production settings: with DJANGO_DEBUG=0 and the TLS variables exactly as README's "Production"
section exports them, ``check --deploy`` is clean; the lifecycle and throttling settings come from
the environment (bad values: tests/test_settings.py).
"""

import re
import secrets

from tests.test_settings import ROOT, start

PRODUCTION_KEYS = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
    "SITE_URL": "https://api.example.com",
    "MFA_ENCRYPTION_KEYS": "HbtSiQJJ3fC4GBl2E5ajFzT52dkUlwTjuWtNGpZo1xw=",
}


def documented_tls_variables():
    """The ``NAME=value`` pairs the README's Production block exports for running behind TLS."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Production", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    pairs = dict(re.findall(r"\b((?:SECURE|SESSION|CSRF)_[A-Z_]+)=(\S+)", block))
    assert {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER"} <= set(pairs)
    return pairs


def settings_values(expression, **env):
    code, output = start("shell", "-c", f"from django.conf import settings; print({expression})", **env)
    assert code == 0, output
    return output.strip().splitlines()[-1]


def test_check_deploy_is_clean_with_the_documented_tls_variables():
    code, output = start(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_KEYS, **documented_tls_variables()
    )
    assert code == 0, output
    assert "System check identified no issues" in output


def test_check_deploy_warns_without_them():
    code, output = start("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_KEYS)
    assert code != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


SECURITY_SETTINGS = (
    "settings.THROTTLE_ENABLED, settings.TRUSTED_PROXY_COUNT, settings.THROTTLE_RATES, "
    "settings.JWT_ROTATE_REFRESH_TOKENS, settings.JWT_ROTATION_GRACE_SECONDS, settings.SESSIONS_PER_USER, "
    "settings.SIMPLE_JWT['ISSUER'], settings.SIMPLE_JWT['AUDIENCE'], settings.SIMPLE_JWT['LEEWAY'], "
    "settings.REST_FRAMEWORK['NUM_PROXIES'], settings.CACHES['default']['BACKEND'], "
    "settings.CACHES['default']['LOCATION']"
)


SECURITY_VARIABLES = [
    "THROTTLE_ENABLED", "TRUSTED_PROXY_COUNT", "THROTTLE_SIGNIN_IP", "THROTTLE_SIGNIN_USER",
    "THROTTLE_SIGNUP_IP", "THROTTLE_REFRESH_IP", "SESSIONS_PER_USER", "REDIS_URL", "CACHE_KEY_PREFIX",
    "THROTTLE_FORGOT_IP", "THROTTLE_FORGOT_EMAIL", "THROTTLE_RESET_IP", "THROTTLE_EMAIL_VERIFY_IP",
    "THROTTLE_EMAIL_RESEND_USER", "THROTTLE_EMAIL_CHANGE_USER",
]


def test_defaults_of_the_security_settings():
    unset = dict.fromkeys(SECURITY_VARIABLES, "")  # whatever the test run's environment says
    assert settings_values(SECURITY_SETTINGS, **PRODUCTION_KEYS, **unset) == (
        "True 0 {'signin_ip': '20/min', 'signin_user': '100/hour', 'signup_ip': '20/hour', "
        "'refresh_ip': '60/min', 'forgot_ip': '20/min', 'forgot_email': '5/min', 'reset_ip': '20/min', "
        "'email_verify_ip': '20/min', 'email_resend_user': '1/180s', 'email_change_user': '1/min'} False 30 10 authsite None 0 0 "
        "authsite.cache.DatabaseCache authsite_cache"
    )


def test_the_security_settings_come_from_the_environment():
    env = {
        **PRODUCTION_KEYS,
        "THROTTLE_ENABLED": "0",
        "TRUSTED_PROXY_COUNT": "2",
        "THROTTLE_SIGNIN_IP": "5/min",
        "THROTTLE_SIGNIN_USER": "50/hour",
        "THROTTLE_SIGNUP_IP": "3/hour",
        "THROTTLE_REFRESH_IP": "7/s",
        "THROTTLE_FORGOT_IP": "10/min",
        "THROTTLE_FORGOT_EMAIL": "3/10min",
        "THROTTLE_RESET_IP": "9/min",
        "THROTTLE_EMAIL_VERIFY_IP": "8/min",
        "THROTTLE_EMAIL_RESEND_USER": "1/300s",
        "THROTTLE_EMAIL_CHANGE_USER": "2/hour",
        "JWT_ROTATE_REFRESH_TOKENS": "1",
        "JWT_ROTATION_GRACE_SECONDS": "10",
        "SESSIONS_PER_USER": "4",
        "JWT_ISSUER": "https://auth.example.com",
        "JWT_AUDIENCE": "example-api",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    assert settings_values(SECURITY_SETTINGS, **env) == (
        "False 2 {'signin_ip': '5/min', 'signin_user': '50/hour', 'signup_ip': '3/hour', "
        "'refresh_ip': '7/s', 'forgot_ip': '10/min', 'forgot_email': '3/10min', 'reset_ip': '9/min', "
        "'email_verify_ip': '8/min', 'email_resend_user': '1/300s', 'email_change_user': '2/hour'} True 10 4 https://auth.example.com example-api 0 2 "
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3"
    )
