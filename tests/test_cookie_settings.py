"""
Cookie mode's settings: refused at start with a message naming the variable (a wildcard CORS
origin with cookies above all), the same rules as system checks (authsite.E010, W004 on deploy),
and the defaults (off; Secure unless DJANGO_DEBUG=1).
"""

import pytest

from authsite import checks
from tests.test_production_settings import PRODUCTION_KEYS, settings_values
from tests.test_settings import start

COOKIE_SETTINGS = (
    "settings.AUTH_COOKIES, settings.CORS_ALLOW_CREDENTIALS, settings.AUTH_COOKIE_SECURE, "
    "settings.AUTH_COOKIE_SAMESITE, settings.AUTH_COOKIE_DOMAIN, settings.AUTH_COOKIE_ACCESS_NAME, "
    "settings.AUTH_COOKIE_REFRESH_NAME"
)
UNSET = dict.fromkeys(
    ["AUTH_COOKIES", "AUTH_COOKIE_SECURE", "AUTH_COOKIE_SAMESITE", "AUTH_COOKIE_DOMAIN",
     "AUTH_COOKIE_ACCESS_NAME", "AUTH_COOKIE_REFRESH_NAME", "CORS_ALLOWED_ORIGINS"], ""
)


@pytest.mark.parametrize("mode", ["on", "both"])
@pytest.mark.parametrize("origins", ["*", "http://localhost:8081,*", "https://*.example.com", "null"])
def test_a_wildcard_origin_with_cookies_refuses_to_start(mode, origins):
    code, output = start(DJANGO_DEBUG="1", AUTH_COOKIES=mode, CORS_ALLOWED_ORIGINS=origins)
    assert code != 0
    assert "ImproperlyConfigured: CORS_ALLOWED_ORIGINS must list exact origins with AUTH_COOKIES=" in output


@pytest.mark.parametrize(
    "env,message",
    [
        ({"AUTH_COOKIES": "yes"}, "AUTH_COOKIES must be off, on or both, not 'yes'."),
        ({"AUTH_COOKIES": "on", "AUTH_COOKIE_SAMESITE": "None"}, "AUTH_COOKIE_SAMESITE must be Lax or Strict, not 'None'."),
        ({"AUTH_COOKIES": "on", "AUTH_COOKIE_SECURE": "maybe"}, "AUTH_COOKIE_SECURE must be 0 or 1"),
        ({"AUTH_COOKIES": "on", "AUTH_COOKIE_ACCESS_NAME": "a b"}, "AUTH_COOKIE_ACCESS_NAME must be a cookie name"),
        ({"AUTH_COOKIES": "on", "AUTH_COOKIE_REFRESH_NAME": "x=y"}, "AUTH_COOKIE_REFRESH_NAME must be a cookie name"),
        ({"AUTH_COOKIES": "on", "AUTH_COOKIE_ACCESS_NAME": "t", "AUTH_COOKIE_REFRESH_NAME": "t"},
         "must be two different cookie names"),
    ],
)
def test_bad_cookie_settings_refuse_to_start(env, message):
    code, output = start(DJANGO_DEBUG="1", **env)
    assert code != 0 and message in output


def test_a_wildcard_without_cookies_is_not_this_rule():
    code, output = start(DJANGO_DEBUG="1", AUTH_COOKIES="off", CORS_ALLOWED_ORIGINS="*")
    assert "must list exact origins" not in output


def test_defaults_in_production():
    assert settings_values(COOKIE_SETTINGS, **PRODUCTION_KEYS, **UNSET) == (
        "off False True Lax None authsite-access authsite-refresh"
    )
    on = settings_values(COOKIE_SETTINGS, **PRODUCTION_KEYS, **{**UNSET, "AUTH_COOKIES": "on"})
    assert on.startswith("on True True Lax")


def test_secure_is_off_by_default_only_in_debug_and_can_be_turned_off():
    assert settings_values(
        COOKIE_SETTINGS, **{**PRODUCTION_KEYS, "DJANGO_DEBUG": "1"}, **{**UNSET, "AUTH_COOKIES": "both"}
    ).startswith(
        "both True False"
    )
    off = {**UNSET, "AUTH_COOKIES": "on", "AUTH_COOKIE_SECURE": "0", "AUTH_COOKIE_SAMESITE": "strict",
           "AUTH_COOKIE_DOMAIN": "example.com"}
    assert settings_values(COOKIE_SETTINGS, **PRODUCTION_KEYS, **off).startswith("on True False Strict example.com")


def test_check_deploy_warns_about_cookies_without_secure():
    code, output = start(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_KEYS, AUTH_COOKIES="on", AUTH_COOKIE_SECURE="0"
    )
    assert "authsite.W004" in output


def ids(messages):
    return [message.id for message in messages]


def test_the_cookie_check_passes_with_exact_origins(settings):
    settings.AUTH_COOKIES = "on"
    assert checks.check_cookie_mode() == []
    settings.AUTH_COOKIES, settings.CORS_ALLOWED_ORIGINS = "off", ["*"]
    assert checks.check_cookie_mode() == []


@pytest.mark.parametrize(
    "override",
    [
        {"CORS_ALLOWED_ORIGINS": ["*"]},
        {"CORS_ALLOWED_ORIGINS": ["null"]},
        {"CORS_ALLOW_ALL_ORIGINS": True},
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.example\.com$"]},
        {"AUTH_COOKIE_SAMESITE": "None"},
    ],
)
def test_the_cookie_check_refuses_wildcards_set_in_code(settings, override):
    settings.AUTH_COOKIES = "both"
    for name, value in override.items():
        setattr(settings, name, value)
    assert ids(checks.check_cookie_mode()) == ["authsite.E010"]


def test_the_deploy_check_warns_about_insecure_cookies(settings):
    settings.AUTH_COOKIES, settings.AUTH_COOKIE_SECURE = "on", False
    assert "authsite.W004" in ids(checks.check_deploy())
    settings.AUTH_COOKIE_SECURE = True
    assert "authsite.W004" not in ids(checks.check_deploy())


@pytest.mark.parametrize("mode", ["on", "both"])
def test_check_deploy_stays_clean_in_cookie_mode(mode):
    from tests.test_production_settings import documented_tls_variables

    code, output = start(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_KEYS, **documented_tls_variables(),
        AUTH_COOKIES=mode, CORS_ALLOWED_ORIGINS="https://app.example.com",
    )
    assert code == 0, output
    assert "System check identified no issues" in output
