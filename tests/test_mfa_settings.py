"""MFA_ENCRYPTION_KEYS: refused at start when bad, rotation with `manage.py mfa reencrypt`; mfa.W001."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from mfa import encryption, services
from mfa.models import TOTPDevice

from .test_production_settings import PRODUCTION_KEYS
from .test_settings import start


@pytest.mark.parametrize("value,message", [
    ("not-a-key", "MFA_ENCRYPTION_KEYS: key 1 is not a Fernet key"),
    (Fernet.generate_key().decode() + ",short", "MFA_ENCRYPTION_KEYS: key 2 is not a Fernet key"),
    (Fernet.generate_key().decode() + ",", "MFA_ENCRYPTION_KEYS: key 2 is not a Fernet key"),
])
def test_bad_keys_are_refused_at_start(value, message):
    code, output = start(DJANGO_DEBUG="1", MFA_ENCRYPTION_KEYS=value)
    assert code != 0
    assert message in output


def test_good_keys_start():
    code, output = start(DJANGO_DEBUG="1", MFA_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}")
    assert code == 0, output


def test_check_deploy_warns_without_a_key_of_its_own():
    env = {key: value for key, value in PRODUCTION_KEYS.items() if key != "MFA_ENCRYPTION_KEYS"}
    code, output = start("check", "--deploy", **env)
    assert "mfa.W001" in output and "MFA_ENCRYPTION_KEYS is not set" in output
    code, output = start("check", "--deploy", **PRODUCTION_KEYS)
    assert "mfa.W001" not in output


@pytest.mark.django_db
def test_rotation(alice, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MFA_ENCRYPTION_KEYS = [old]
    secret, _, _ = services.start_setup(alice)
    stored = TOTPDevice.objects.get(user=alice).encrypted_secret
    # The new key first: the old rows still read; reencrypt moves them; the old key can go.
    settings.MFA_ENCRYPTION_KEYS = [new, old]
    assert encryption.decrypt(stored) == secret
    call_command("mfa", "reencrypt")
    settings.MFA_ENCRYPTION_KEYS = [new]
    assert encryption.decrypt(TOTPDevice.objects.get(user=alice).encrypted_secret) == secret
    # A key dropped too early: the command says so instead of failing halfway unexplained.
    settings.MFA_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("mfa", "reencrypt")


@pytest.mark.django_db
def test_the_derived_key_still_decrypts_after_a_key_is_set(alice, settings):
    """Secrets stored before MFA_ENCRYPTION_KEYS was set stay readable until `mfa reencrypt`."""
    from authsite.env import fernet_keys_from_env

    derived, from_env = fernet_keys_from_env("UNSET_VARIABLE_FOR_TEST", settings.SECRET_KEY)
    assert from_env is False
    settings.MFA_ENCRYPTION_KEYS = derived
    secret, _, _ = services.start_setup(alice)
    settings.MFA_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *derived]
    assert encryption.decrypt(TOTPDevice.objects.get(user=alice).encrypted_secret) == secret
