"""Configuration from the environment: refusal to start without real keys, database URLs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 50


def start(**env):
    """Run `manage.py check` with exactly these configuration variables; (exit code, output)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "DATABASE_"))}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
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
