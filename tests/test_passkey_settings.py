"""
The relying-party settings: malformed values refused at start naming the variable (authsite/env.py),
and the configuration rules as system checks (passkeys/checks.py: passkeys.E001, passkeys.E002).
"""

import pytest

from passkeys import checks
from tests.test_settings import start


@pytest.mark.parametrize("variable,value,message", [
    ("PASSKEY_RP_ID", "https://example.com", "PASSKEY_RP_ID must be a host name such as example.com"),
    ("PASSKEY_RP_ID", "example.com:8080", "PASSKEY_RP_ID must be a host name such as example.com"),
    ("PASSKEY_ORIGINS", "example.com", "PASSKEY_ORIGINS: 'example.com' is not an origin"),
    ("PASSKEY_ORIGINS", "https://example.com/", "PASSKEY_ORIGINS: 'https://example.com/' is not an origin"),
    ("PASSKEY_ORIGINS", ",", "PASSKEY_ORIGINS must list at least one origin."),
    ("PASSKEY_CHALLENGE_TIMEOUT", "5", "PASSKEY_CHALLENGE_TIMEOUT must be at least 10, not 5."),
])
def test_refuses_to_start_with_a_malformed_value(variable, value, message):
    code, output = start(DJANGO_DEBUG="1", **{variable: value})
    assert code != 0
    assert message in output and "ImproperlyConfigured" in output


def test_refuses_to_start_when_an_origin_is_outside_the_rp_id():
    code, output = start(DJANGO_DEBUG="1", PASSKEY_RP_ID="example.com", PASSKEY_ORIGINS="https://example.org")
    assert code != 0 and "passkeys.E001" in output


def test_accepts_a_production_relying_party():
    code, output = start(DJANGO_DEBUG="1", PASSKEY_RP_ID="Example.COM",
                         PASSKEY_ORIGINS="https://example.com,https://app.example.com")
    assert code == 0, output


def ids(messages):
    return [message.id for message in messages]


def test_the_defaults_pass():
    assert checks.check_relying_party(None) == []


def test_each_origin_must_be_within_the_rp_id(settings):
    settings.PASSKEY_RP_ID = "example.com"
    settings.PASSKEY_ORIGINS = ["https://example.com", "https://login.example.com", "https://notexample.com",
                                "https://example.com.evil.org"]
    found = checks.check_relying_party(None)
    assert ids(found) == ["passkeys.E001", "passkeys.E001"]
    assert "https://notexample.com" in found[0].msg and "https://example.com.evil.org" in found[1].msg


def test_plain_http_only_on_localhost(settings):
    settings.PASSKEY_RP_ID = "localhost"
    settings.PASSKEY_ORIGINS = ["http://localhost:8080", "http://app.localhost"]
    assert checks.check_relying_party(None) == []
    settings.PASSKEY_RP_ID = "example.com"
    settings.PASSKEY_ORIGINS = ["http://example.com"]
    assert ids(checks.check_relying_party(None)) == ["passkeys.E002"]
