"""System checks of the database (``authsite.checks``): what ``migrate`` refuses to run on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from authsite.checks import check_database_encoding

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_test_database_passes():
    """SQLite and MySQL/MariaDB are not checked; PostgreSQL's test database is made in UTF8."""
    assert check_database_encoding(databases=["default"]) == []


def postgres_url(settings_dict, name):
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{name}"
    )


@pytest.mark.django_db
def test_migrate_refuses_a_postgresql_database_not_in_utf8():
    if connection.vendor != "postgresql":
        assert connection.vendor in ("sqlite", "mysql")
        return
    import psycopg

    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_sql_ascii"
    server = dict(
        host=settings_dict["HOST"], port=settings_dict["PORT"] or 5432, user=settings_dict["USER"],
        password=settings_dict["PASSWORD"], dbname="postgres", autocommit=True,
    )
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0")
    try:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
        env.update(DJANGO_DEBUG="1", DATABASE_URL=postgres_url(settings_dict, name))
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert result.returncode != 0
    assert f"authsite.E007) The PostgreSQL database '{name}' (DATABASE_URL) is encoded in SQL_ASCII" in result.stderr
    assert "Applying" not in result.stdout
