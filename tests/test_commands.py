"""Management commands: roles, loaddata roles, createsuperuser."""

import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Role, User


def roles_of(username):
    return [role.name for role in User.objects.get(username=username).roles.all()]


@pytest.mark.django_db
def test_migrate_seeds_the_three_roles_with_fixed_ids():
    assert list(Role.objects.values_list("id", "name")) == [(1, "user"), (2, "moderator"), (3, "admin")]


def test_the_fixed_roles_are_defined_once():
    """``Role.FIXED`` is the source; the frozen migration and the fixture must repeat it exactly."""
    seeded = importlib.import_module("accounts.migrations.0002_seed_roles").ROLES
    fixture = json.loads((Path(settings.BASE_DIR) / "fixtures" / "roles.json").read_text())
    assert dict(seeded) == Role.FIXED == {1: "user", 2: "moderator", 3: "admin"}
    assert {row["pk"]: row["fields"]["name"] for row in fixture} == Role.FIXED
    assert {row["model"] for row in fixture} == {"accounts.role"}


@pytest.mark.django_db
def test_roles_created_later_get_ids_after_the_seeded_ones():
    """
    PostgreSQL's id sequence does not advance on 0002's explicit ids; migration 0006 moves it (the
    test puts the sequence back where 0002 leaves it on a fresh database and runs 0006 again).
    SQLite and MySQL/MariaDB take the next id from the rows.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_role', 'id'), 1, false)")
        migration = importlib.import_module("accounts.migrations.0006_role_ids_continue_after_seeded_rows")
        with connection.schema_editor() as editor:
            migration.continue_role_ids(apps, editor)
    assert Role.objects.create(name="auditor").pk > 3


@pytest.mark.django_db
def test_loaddata_roles_is_idempotent():
    for _ in range(2):
        call_command("loaddata", "roles", verbosity=0)
    assert list(Role.objects.values_list("id", "name")) == [(1, "user"), (2, "moderator"), (3, "admin")]


@pytest.mark.django_db
def test_loaddata_roles_restores_missing_roles():
    Role.objects.filter(name=Role.ADMIN).delete()
    call_command("loaddata", "roles", verbosity=0)
    assert Role.objects.get(pk=3).name == "admin"


@pytest.mark.django_db
def test_grant_and_revoke(alice, capsys):
    call_command("roles", "grant", "ALICE", "admin", "moderator")
    assert roles_of("alice") == ["user", "moderator", "admin"]
    assert capsys.readouterr().out.strip() == "alice: user, moderator, admin"
    call_command("roles", "revoke", "alice", "moderator")
    assert roles_of("alice") == ["user", "admin"]
    call_command("roles", "show", "alice")
    assert capsys.readouterr().out.strip().endswith("alice: user, admin")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,message",
    [
        (["grant", "nobody", "admin"], "No user named 'nobody'."),
        (["grant", "alice", "superhero"], "Unknown role 'superhero'"),
        (["grant", "alice", "Admin"], "Unknown role 'Admin'"),
        (["grant", "alice"], "Name at least one role to grant."),
    ],
)
def test_roles_command_errors(alice, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("roles", *args)
    assert roles_of("alice") == ["user"]


@pytest.mark.django_db
def test_createsuperuser(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "correct horse 12")
    call_command(
        "createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com", verbosity=0
    )
    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_staff
    assert roles_of("root") == ["user"]
    with pytest.raises(CommandError, match="already taken"):
        call_command(
            "createsuperuser", "--noinput", "--username", "ROOT", "--email", "r2@example.com", verbosity=0
        )
