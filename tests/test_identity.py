"""
Caseless identity: the database enforces it, the same way on SQLite and on MariaDB.

Decision: keys fold case (Unicode casefold) and compatibility forms (NFKC), not accents, on every
backend; MariaDB's accent-insensitive collations are bypassed by the key columns' binary collation.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import User, identity_key


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
def test_key_columns_are_byte_compared_on_mysql():
    if connection.vendor != "mysql":
        assert connection.vendor == "sqlite"  # SQLite compares bytes by default
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = %s",
            [User._meta.db_table],
        )
        collations = {name.lower(): collation for name, collation in cursor.fetchall()}
    assert collations["username"] == collations["username_key"] == collations["email_key"] == "utf8mb4_bin"
