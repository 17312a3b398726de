"""
Caseless identity: the database enforces it, the same way on SQLite, MariaDB and PostgreSQL.

Decision: keys fold case (Unicode casefold) and compatibility forms (NFKC), not accents, on every
backend; MariaDB's accent-insensitive collations are bypassed by the key columns' binary collation,
and PostgreSQL's default (deterministic) collation tells apart any two strings that differ.
"""

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import Role, User, identity_key


@pytest.mark.parametrize(
    "value,key",
    [
        ("alice", "alice"),
        ("ALICE", "alice"),
        ("ａｌｉｃｅ", "alice"),  # full-width
        ("Straße", "strasse"),  # casefold, not lower
        ("ﬁle", "file"),  # ligature
        ("josé", "josé"),  # accents stay
        ("Alice@Example.COM", "alice@example.com"),
    ],
)
def test_identity_key(value, key):
    assert identity_key(value) == key


def create(username, email):
    with transaction.atomic():
        return User.objects.create_user(username, email, "pw")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["ALICE", "Alice", "ａｌｉｃｅ"])
def test_database_refuses_caseless_duplicate_username(username):
    create("alice", "a1@example.com")
    with pytest.raises(IntegrityError):
        create(username, "a2@example.com")
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["ALICE@example.com", "alice@EXAMPLE.com", "ＡＬＩＣＥ@example.com"])
def test_database_refuses_caseless_duplicate_email(email):
    create("alice", "alice@example.com")
    with pytest.raises(IntegrityError):
        create("bob", email)


@pytest.mark.django_db
def test_accented_and_plain_names_coexist_on_every_backend():
    create("josé", "j1@example.com")
    create("jose", "j2@example.com")
    create("bob", "josé@example.com")
    create("bobby", "jose@example.com")
    assert User.objects.count() == 4


@pytest.mark.django_db
def test_lookup_by_natural_key_is_caseless_and_exact_on_accents():
    jose = create("jose", "j1@example.com")
    accented = create("josé", "j2@example.com")
    assert User.objects.get_by_natural_key("JOSE") == jose
    assert User.objects.get_by_natural_key("JOSÉ") == accented


@pytest.mark.django_db
def test_keys_follow_renames():
    user = create("alice", "alice@example.com")
    user.username = "Alicia"
    user.email = "Alicia@Example.com"
    user.save(update_fields=["username", "email"])
    user.refresh_from_db()
    assert (user.username_key, user.email_key) == ("alicia", "alicia@example.com")
    assert User.objects.get_by_natural_key("ALICIA") == user


@pytest.mark.django_db
def test_model_validation_reports_caseless_duplicates():
    create("alice", "alice@example.com")
    user = User(username="ALICE", email="ALICE@example.com")
    user.set_unusable_password()
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert set(error.value.message_dict) >= {"username", "email"}


@pytest.mark.django_db
@pytest.mark.parametrize("stored,other", [("alice", "ALICE"), ("jose", "josé"), ("strasse", "straße")])
def test_key_columns_tell_apart_any_two_different_strings(stored, other):
    """
    Keys written past ``save()``, as a case- or accent-insensitive collation would compare them:
    the database keeps both and finds each only by itself.
    """
    create(stored, f"{stored}@example.com")
    bob = create("bob", "bob@example.com")
    with transaction.atomic():
        User.objects.filter(pk=bob.pk).update(username_key=other, email_key=f"{other}@example.com")
    assert list(User.objects.filter(username_key=stored).values_list("username", flat=True)) == [stored]
    assert list(User.objects.filter(email_key=f"{other}@example.com").values_list("username", flat=True)) == [
        "bob"
    ]


KEY_COLUMNS = ("username", "username_key", "email_key")


@pytest.mark.django_db
def test_key_columns_are_compared_exactly_by_their_collation():
    """MySQL/MariaDB: ``utf8mb4_bin``; PostgreSQL: a deterministic collation; SQLite: BINARY."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                "SELECT column_name, collation_name FROM information_schema.columns "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                [table],
            )
            collations = {name.lower(): collation for name, collation in cursor.fetchall()}
            assert {collations[column] for column in KEY_COLUMNS} == {"utf8mb4_bin"}
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT a.attname, c.collisdeterministic FROM pg_attribute a "
                "JOIN pg_collation c ON c.oid = a.attcollation "
                "WHERE a.attrelid = %s::regclass AND a.attname = ANY(%s)",
                [connection.ops.quote_name(table), list(KEY_COLUMNS)],
            )
            assert dict(cursor.fetchall()) == dict.fromkeys(KEY_COLUMNS, True)
        else:
            assert connection.vendor == "sqlite"
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            assert "COLLATE" not in cursor.fetchone()[0].upper()  # SQLite's default, BINARY


@pytest.mark.django_db
def test_acreate_user_creates_the_roles_as_create_user_does():
    """Django's ``acreate_user`` goes through ``_acreate_user``, which skipped the roles before."""
    user = async_to_sync(User.objects.acreate_user)("asyncuser", "async@example.com", "pw")
    assert user.username_key == "asyncuser"
    assert list(user.roles.values_list("name", flat=True)) == [Role.USER]
    admin = async_to_sync(User.objects.acreate_user)(
        "asyncadmin", "asyncadmin@example.com", "pw", roles=Role.objects.filter(name=Role.ADMIN)
    )
    assert list(admin.roles.values_list("name", flat=True)) == [Role.ADMIN]
