"""Configuration from the environment: refusal to start without real keys, database URLs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from accounts import keys

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 50


def start(*command, **env):
    """Run `manage.py check` (or `command`) with exactly these configuration variables; (exit code, output)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "DATABASE_", "PROXY_AUTH"))}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    "env,message",
    [
        ({}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_DEBUG": "0"}, "DJANGO_SECRET_KEY is not set"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "JWT_SIGNING_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "short", "JWT_SIGNING_KEY": GOOD_KEY}, "DJANGO_SECRET_KEY must be at least 32"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "JWT_SIGNING_KEY": "short"}, "JWT_SIGNING_KEY must be at least 32"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be 0 or 1"),
        ({"DJANGO_DEBUG": "1", "JWT_ALGORITHM": "none"}, "JWT_ALGORITHM must be"),
        ({"DJANGO_DEBUG": "1", "JWT_ACCESS_TOKEN_LIFETIME": "soon"}, "JWT_ACCESS_TOKEN_LIFETIME must be a whole number"),
        ({"DJANGO_DEBUG": "1", "THROTTLE_SIGNIN_IP": "lots"}, "THROTTLE_SIGNIN_IP must be a rate such as 20/min"),
        ({"DJANGO_DEBUG": "1", "THROTTLE_REFRESH_IP": "0/min"}, "THROTTLE_REFRESH_IP must be a rate"),
        ({"DJANGO_DEBUG": "1", "THROTTLE_SIGNUP_IP": "5/fortnight"}, "THROTTLE_SIGNUP_IP must be a rate"),
        ({"DJANGO_DEBUG": "1", "THROTTLE_ENABLED": "maybe"}, "THROTTLE_ENABLED must be 0 or 1"),
        ({"DJANGO_DEBUG": "1", "SESSIONS_PER_USER": "0"}, "SESSIONS_PER_USER must be at least 1."),
        ({"DJANGO_DEBUG": "1", "TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be 0 or more."),
    ],
)
def test_refuses_to_start_misconfigured(env, message):
    code, output = start(**env)
    assert code != 0
    assert message in output


def test_starts_in_production_with_real_keys():
    code, output = start(DJANGO_DEBUG="0", DJANGO_SECRET_KEY=GOOD_KEY, JWT_SIGNING_KEY=GOOD_KEY)
    assert code == 0, output
    assert "insecure development defaults" not in output


def test_debug_uses_dev_defaults_and_says_so():
    code, output = start(DJANGO_DEBUG="1")
    assert code == 0, output
    assert "insecure development defaults" in output


def test_mysql_database_url_gets_utf8mb4_and_a_utf8mb4_test_database():
    script = (
        "import django, json; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], d['OPTIONS'], d['TEST']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": "mysql://u:p@db.example:3307/app",
    }
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    engine, name, host, port, options, test = json.loads(result.stdout.strip().splitlines()[-1])
    assert (engine, name, host, port) == ("django.db.backends.mysql", "app", "db.example", 3307)
    assert options["charset"] == "utf8mb4"
    assert (test["CHARSET"], test["COLLATION"]) == ("utf8mb4", "utf8mb4_unicode_ci")


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgresql_database_url_gets_a_connect_timeout_and_a_utf8_test_database(scheme):
    script = (
        "import django, json; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(json.dumps([d['ENGINE'], d['NAME'], d['HOST'], d['PORT'], d['OPTIONS'], d['TEST']]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "authsite.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"{scheme}://u:p@db.example:5433/app?sslmode=require",
    }
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    engine, name, host, port, options, test = json.loads(result.stdout.strip().splitlines()[-1])
    assert (engine, name, host, port) == ("django.db.backends.postgresql", "app", "db.example", 5433)
    assert options == {"connect_timeout": 5, "sslmode": "require"}
    assert (test["CHARSET"], test["TEMPLATE"]) == ("UTF8", "template0")


# --- Asymmetric access-token keys and proxy sign-in -------------------------------------------

PROD = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": GOOD_KEY}


@pytest.fixture(scope="module")
def key_files(tmp_path_factory):
    """PEM files: an ES256 private key, its public key, and an Ed25519 public key."""
    directory = tmp_path_factory.mktemp("keys")
    es256 = keys.generate_private_key("ES256")
    (directory / "es256.pem").write_text(keys.private_pem(es256))
    (directory / "es256.pub").write_text(keys.public_pem(es256))
    (directory / "old.pub").write_text(keys.public_pem(keys.generate_private_key("ES256")))
    (directory / "ed25519.pub").write_text(keys.public_pem(keys.generate_private_key("EdDSA")))
    (directory / "p384.pem").write_text(keys.private_pem(ec.generate_private_key(ec.SECP384R1())))
    (directory / "rsa1024.pem").write_text(
        keys.private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)))
    return directory


def start_in_production(key_files, env):
    """``start()`` with DEBUG off, a secret key, and ``env`` with ``{dir}`` = the key files' directory."""
    return start(**PROD, **{name: value.replace("{dir}", str(key_files)) for name, value in env.items()})


@pytest.mark.parametrize(
    "env, message",
    [
        ({"JWT_ALGORITHM": "ES256"}, "JWT_PRIVATE_KEY is not set"),
        ({"JWT_ALGORITHM": "RS512", "JWT_SIGNING_KEY": GOOD_KEY}, "JWT_ALGORITHM must be one of"),
        ({"JWT_ALGORITHM": "RS256", "JWT_PRIVATE_KEY": "{dir}/es256.pem"}, "RS256 needs an RSA key"),
        ({"JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY": "{dir}/es256.pem"}, "EdDSA needs an Ed25519 key"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/p384.pem"}, "P-256 curve, not secp384r1"),
        ({"JWT_ALGORITHM": "RS256", "JWT_PRIVATE_KEY": "{dir}/rsa1024.pem"}, "at least 2048 bits, not 1024"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pem,{dir}/es256.pem"},
         "JWT_PRIVATE_KEY must hold one private key"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pem",
          "JWT_PREVIOUS_PUBLIC_KEYS": "{dir}/es256.pem"}, "no -----BEGIN PUBLIC KEY----- block"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/missing.pem"}, "cannot read the key file"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pub"}, "not an unencrypted PEM private key"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\\nAAAA"},
         "not an unencrypted PEM private key"),
        ({"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pem",
          "JWT_PREVIOUS_PUBLIC_KEYS": "{dir}/ed25519.pub"}, "JWT_PREVIOUS_PUBLIC_KEYS: ES256 needs"),
        ({"JWT_SIGNING_KEY": GOOD_KEY, "JWT_PREVIOUS_PUBLIC_KEYS": "{dir}/old.pub"},
         "JWT_PREVIOUS_PUBLIC_KEYS needs an asymmetric JWT_ALGORITHM"),
        ({"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "iap"}, "PROXY_AUTH_AUDIENCE is required"),
        ({"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "okta", "PROXY_AUTH_AUDIENCE": "x"}, "PROXY_AUTH must be off"),
        ({"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "iap", "PROXY_AUTH_AUDIENCE": "x",
          "PROXY_AUTH_JWKS_URL": "http://keys.example.com/jwks"}, "must be an https:// URL"),
        ({"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "cloudflare", "PROXY_AUTH_AUDIENCE": "x"},
         "PROXY_AUTH_ISSUER is required"),
    ],
)
def test_refuses_to_start_with_bad_keys_or_proxy_settings(key_files, env, message):
    code, output = start_in_production(key_files, env)
    assert code != 0
    assert message in output


def pem_in_env(path):
    return path.read_text().replace("\n", "\\n")


@pytest.mark.parametrize(
    "env",
    [
        {"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pem"},
        {"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": "{dir}/es256.pem",
         "JWT_PREVIOUS_PUBLIC_KEYS": "{dir}/old.pub,{dir}/es256.pub"},
        {"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "iap", "PROXY_AUTH_AUDIENCE": "/projects/1/apps/p"},
        {"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "cloudflare", "PROXY_AUTH_AUDIENCE": "a" * 64,
         "PROXY_AUTH_ISSUER": "https://team.cloudflareaccess.com"},
        {"JWT_SIGNING_KEY": GOOD_KEY, "PROXY_AUTH": "off", "PROXY_AUTH_AUDIENCE": ""},
    ],
    ids=["ES256 key file, no JWT_SIGNING_KEY", "previous key files", "iap", "cloudflare", "proxy off"],
)
def test_starts_in_production_with_asymmetric_keys_or_proxy_auth(key_files, env):
    code, output = start_in_production(key_files, env)
    assert code == 0, output


def test_private_key_as_pem_text_with_escaped_newlines(key_files):
    code, output = start(**PROD, JWT_ALGORITHM="ES256", JWT_PRIVATE_KEY=pem_in_env(key_files / "es256.pem"),
                         JWT_PREVIOUS_PUBLIC_KEYS=pem_in_env(key_files / "old.pub"))
    assert code == 0, output


def test_debug_with_an_asymmetric_algorithm_uses_a_throw_away_key_and_says_so():
    code, output = start(DJANGO_DEBUG="1", JWT_ALGORITHM="EdDSA")
    assert code == 0, output
    assert "JWT_PRIVATE_KEY not set: using insecure development defaults" in output
