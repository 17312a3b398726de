"""
``manage.py import_node_users`` against the real thing: a MariaDB database made by the Node.js
tutorial's own stack (Sequelize models, bcryptjs at cost 8, from npm into tests/nodeapp), then
sign-ins through authsite's API with the users' original passwords.

The source database is named by ``NODE_SOURCE_URL`` (default
``mysql://authsite:authsite@127.0.0.1:3306/test_authsite_nodeapp``, the user tests/services.sh makes); the tests create and drop that database,
``<name>_basic`` and ``<name>_changed``, nothing else. It is read over a real connection whichever database the
authsite suite itself runs on, so this runs (and must pass) in both CI suites.
"""

import json
import os
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import MySQLdb
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from accounts.models import User
from authsite import settings as production_settings
from nodeimport import importer, plan
from nodeimport.models import ImportedNodeUser
from nodeimport.source import connection_parameters

from .conftest import PASSWORD

NODEAPP = Path(__file__).resolve().parent / "nodeapp"
pytestmark = pytest.mark.django_db

SOURCE_URL = os.environ.get(
    "NODE_SOURCE_URL", "mysql://authsite:authsite@127.0.0.1:3306/test_authsite_nodeapp"
)


def user(username, email, password="node pass 123", roles=None, raw_password=False):
    return {"username": username, "email": email, "password": password, "roles": roles,
            "rawPassword": raw_password}


# Signed up through the tutorial's code path, in this order (Node ids 1, 2, ...).
IMPORTABLE = [
    user("alice", "alice@example.com", "alice pass 1"),  # no roles asked: the tutorial gives "user"
    user("mod", "mod@example.com", "mod pass 1", ["moderator", "user"]),
    user("boss", "boss@example.com", "boss pass 1", ["admin"]),
    user("long", "long@example.com", "p" * 100),  # bcryptjs hashed its first 72 bytes
    user("kenji", "kenji@example.com", "日本語のパスワードです"),
    user("cut", "cut@example.com", "x" * 71 + "é"),  # the 72-byte limit falls inside "é"
    user("ivan", "ivan@example.com", "ivan pass 1", ["user", "editor"]),  # editor: not authsite's
]
PROBLEMS = [
    user("Dave", "dave1@example.com"),  # Dave/dave: one name in authsite
    user("dave", "dave2@example.com"),
    user("ｅｖｅ", "eve1@example.com"),  # full-width: NFKC makes it "eve"
    user("eve", "eve2@example.com"),
    user("frank", "frank@example.com"),  # same email, caselessly
    user("frank2", "FRANK@example.com"),
    user("bob smith", "bob@example.com"),  # a space: not a valid authsite username
    user("x" * 151, "long-name@example.com"),  # over authsite's 150
    user("grace", "not-an-email"),
    user("heidi", "heidi@example.com", "plain text", raw_password=True),  # not a bcrypt hash
    user("JUDY", "judy@node.example.com"),  # authsite already has "judy"
]
NODE_USERS = IMPORTABLE + PROBLEMS


def node_id(username):
    return next(i for i, spec in enumerate(NODE_USERS, 1) if spec["username"] == username)


class NodeDatabase:
    """A Node.js tutorial database on the MariaDB server, made by tests/nodeapp/signup.js."""

    def __init__(self, url):
        self.url = url
        self.params, self.label = connection_parameters(url)
        self.name = self.params["database"]

    def server(self):
        params = {k: v for k, v in self.params.items() if k != "database"}
        try:
            return MySQLdb.connect(**params, autocommit=True)
        except MySQLdb.OperationalError as error:
            pytest.fail(f"this test needs MariaDB at NODE_SOURCE_URL ({self.label}): {error}")

    def create(self, users, variant="refresh", extra_roles=("editor",)):
        with self.server() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
            cursor.execute(
                f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
            )
        env = {
            **os.environ,
            "NODE_DB_HOST": self.params["host"],
            "NODE_DB_PORT": str(self.params["port"]),
            "NODE_DB_USER": self.params["user"],
            "NODE_DB_PASSWORD": self.params["password"],
            "NODE_DB_NAME": self.name,
        }
        spec = {"variant": variant, "extraRoles": list(extra_roles), "users": users}
        done = subprocess.run(
            ["node", "signup.js"], cwd=NODEAPP, env=env, input=json.dumps(spec),
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def execute(self, sql, *args):
        with MySQLdb.connect(**self.params, autocommit=True) as connection:
            connection.cursor().execute(sql, args)

    def drop(self):
        with self.server() as connection:
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{self.name}`")


@pytest.fixture(scope="session")
def node_modules():
    """``npm ci`` in tests/nodeapp, once, when node_modules is missing or older than the lock file."""
    installed = NODEAPP / "node_modules" / ".package-lock.json"
    lock = NODEAPP / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        if shutil.which("npm") is None:
            pytest.fail("this test needs Node.js and npm (apt-get install nodejs npm)")
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODEAPP, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def node_database(node_modules):
    """The refresh-token variant with every kind of row; tests must not change it."""
    database = NodeDatabase(SOURCE_URL)
    created = database.create(NODE_USERS)
    assert [row["id"] for row in created] == list(range(1, len(NODE_USERS) + 1))
    yield database
    database.drop()


@pytest.fixture(scope="session")
def basic_node_database(node_modules):
    """The basic variant (no refresh tokens) with valid rows only; tests must not change it."""
    database = NodeDatabase(SOURCE_URL + "_basic")
    database.create(IMPORTABLE, variant="basic", extra_roles=())
    yield database
    database.drop()


@pytest.fixture
def changing_node_database(node_modules):
    """Like ``basic_node_database``, made afresh for a test that changes it."""
    database = NodeDatabase(SOURCE_URL + "_changed")
    database.create(IMPORTABLE, variant="basic", extra_roles=())
    yield database
    database.drop()


@pytest.fixture(autouse=True)
def judy(make_user):
    """An authsite user before any import: Node's JUDY is taken."""
    return make_user("judy")


def run_import(url, *args):
    out = StringIO()
    call_command("import_node_users", "--from", url, "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def signin(api, username, password):
    return api.post("/api/auth/signin", {"username": username, "password": password}, format="json")


def test_the_report_counts_imports_grants_and_every_skip_with_both_rows(node_database):
    report = run_import(node_database.url)

    assert report["variant"] == "refresh token"
    assert report["read"] == len(NODE_USERS)
    assert report["imported"] == len(IMPORTABLE)
    assert report["imported_node_ids"] == list(range(1, len(IMPORTABLE) + 1))
    assert report["role_grants"] == {"admin": 1, "moderator": 1, "user": 6}
    assert report["skipped"] == {
        "invalid_username": 2,
        "invalid_email": 1,
        "invalid_password_hash": 1,
        "username_taken": 1,
        "duplicate_username": 4,
        "duplicate_email": 2,
    }
    assert report["unknown_roles"] == {"editor": [node_id("ivan")]}
    assert report["refresh_tokens"]["found"] == len(NODE_USERS)
    assert "plain text" in report["refresh_tokens"]["note"]

    rows = report["skipped_rows"]
    dave = next(row for row in rows["duplicate_username"] if row["username"] == "Dave")
    assert dave["others"] == [
        {"node_id": node_id("dave"), "username": "dave", "email": "dave2@example.com"}
    ]
    eve = next(row for row in rows["duplicate_username"] if row["username"] == "eve")
    assert [other["username"] for other in eve["others"]] == ["ｅｖｅ"]
    assert {row["username"] for row in rows["duplicate_email"]} == {"frank", "frank2"}
    assert [row["detail"] for row in rows["invalid_username"]] == [
        "letters, digits and @/./+/-/_ only", "longer than 150 characters",
    ]
    assert rows["invalid_email"][0]["detail"] == "not a valid email address"
    judy = rows["username_taken"][0]
    assert judy["username"] == "JUDY" and judy["others"][0]["username"] == "judy"

    imported = User.objects.get(username="ivan")
    assert sorted(imported.role_names) == ["user"]
    assert imported.password.startswith("bcryptjs$$2a$08$")
    assert imported.node_import.node_id == node_id("ivan")


@override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS)
def test_imported_users_sign_in_with_their_node_passwords_and_are_upgraded_to_argon2id(
    node_database, api
):
    run_import(node_database.url)
    boards = {"user": "/api/test/user", "moderator": "/api/test/mod", "admin": "/api/test/admin"}
    expected_roles = {
        "alice": ["ROLE_USER"],
        "mod": ["ROLE_USER", "ROLE_MODERATOR"],
        "boss": ["ROLE_ADMIN"],
        "ivan": ["ROLE_USER"],
    }

    # A wrong password is refused and leaves the bcrypt hash as it was.
    assert signin(api, "alice", "alice pass 2").status_code == 401
    assert User.objects.get(username="alice").password.startswith("bcryptjs$")

    for spec in IMPORTABLE:
        response = signin(api, spec["username"], spec["password"])
        assert response.status_code == 200, (spec["username"], response.json())
        stored = User.objects.get(username=spec["username"]).password
        assert stored.startswith("argon2$argon2id$"), spec["username"]
        # Argon2id now holds the whole password: the second sign-in checks it without bcrypt.
        assert signin(api, spec["username"], spec["password"]).status_code == 200
        roles = response.json()["roles"]
        if spec["username"] in expected_roles:
            assert roles == expected_roles[spec["username"]]
        token = response.json()["accessToken"]
        for role, board in boards.items():
            status = api.get(board, HTTP_X_ACCESS_TOKEN=token).status_code
            allowed = role == "user" or f"ROLE_{role.upper()}" in roles
            assert status == (200 if allowed else 403), (spec["username"], board)

    # bcryptjs ignored what came after 72 bytes; from now on, Argon2id does not.
    assert signin(api, "long", "p" * 72 + "q" * 28).status_code == 401
    assert signin(api, "long", "p" * 100).status_code == 200


def test_a_second_run_imports_nothing_twice(node_database):
    first = run_import(node_database.url)
    users = User.objects.count()

    second = run_import(node_database.url)

    assert second["imported"] == 0
    assert second["role_grants"] == {}
    assert second["skipped"]["already_imported"] == first["imported"]
    assert "already_imported" not in second["skipped_rows"]
    # The rows that could not be imported are still reported, now also as taken.
    assert second["skipped"]["invalid_email"] == 1
    assert second["changed_since_import"] == [] and second["gone_from_node"] == []
    assert User.objects.count() == users
    assert ImportedNodeUser.objects.count() == first["imported"]


def test_a_dry_run_reports_the_same_and_writes_nothing(node_database):
    dry = run_import(node_database.url, "--dry-run")

    assert dry["dry_run"] is True
    assert User.objects.count() == 1 and ImportedNodeUser.objects.count() == 0
    real = run_import(node_database.url)
    assert {**dry, "dry_run": False} == real


def test_the_text_report(node_database):
    out = StringIO()
    call_command("import_node_users", "--from", node_database.url, "--dry-run", stdout=out)
    text = out.getvalue()
    assert "DRY RUN, nothing written" in text
    assert f"Imported: {len(IMPORTABLE)} would be imported" in text
    assert "Role grants: admin 1, moderator 1, user 6" in text
    assert "  duplicate_username: 4" in text
    assert f"node user {node_id('Dave')} 'Dave' <dave1@example.com>: same username as" in text
    assert f"      node user {node_id('dave')} 'dave' <dave2@example.com>" in text
    assert "Unknown role 'editor' (not granted)" in text
    assert f"Refresh tokens: {len(NODE_USERS)} not imported: the Node app stored them in plain text" in text
    assert "replaced with Argon2id at the user's first sign-in" in text
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("keep", "winners"), [("oldest", {"Dave", "ｅｖｅ", "frank"}), ("newest", {"dave", "eve", "frank2"})]
)
def test_a_flag_says_which_duplicate_wins(node_database, keep, winners):
    report = run_import(node_database.url, "--keep-duplicate", keep)

    assert report["imported"] == len(IMPORTABLE) + 3
    assert report["skipped"]["duplicate_username"] == 2
    assert report["skipped"]["duplicate_email"] == 1
    names = {"dave", "eve", "frank", "frank2"}
    imported = {node.node_username for node in ImportedNodeUser.objects.all()} & (
        names | {"Dave", "ｅｖｅ"}
    )
    assert imported == winners
    loser = report["skipped_rows"]["duplicate_email"][0]
    assert loser["detail"].endswith(f"the {keep} row is kept")
    # Imported under authsite's form of the name: NFKC makes the full-width one plain.
    if keep == "oldest":
        assert User.objects.filter(username="eve", email="eve1@example.com").exists()


def test_atomic_imports_nothing_when_any_row_would_be_skipped(node_database):
    out = StringIO()
    with pytest.raises(CommandError, match="--atomic: 11 rows cannot be imported; nothing was imported"):
        call_command("import_node_users", "--from", node_database.url, "--atomic", stdout=out)
    assert "invalid_email: 1" in out.getvalue()
    assert User.objects.count() == 1 and ImportedNodeUser.objects.count() == 0


def test_atomic_imports_everything_from_a_clean_basic_database(basic_node_database):
    report = run_import(basic_node_database.url, "--atomic")

    assert report["variant"] == "basic or cookie"
    assert report["imported"] == len(IMPORTABLE)
    assert report["refresh_tokens"]["found"] == 0
    assert report["unknown_roles"] == {}
    assert User.objects.count() == 1 + len(IMPORTABLE)


@pytest.fixture
def signup_after_the_plan(monkeypatch, make_user):
    """Someone signs up as KENJI after the importer checked the names and before it writes."""
    real_plan = importer.plan

    def plan_then_signup(*args, **kwargs):
        decided = real_plan(*args, **kwargs)
        make_user("KENJI")
        return decided

    monkeypatch.setattr(importer, "plan", plan_then_signup)


def test_atomic_rolls_back_everything_when_a_row_fails_at_write(
    basic_node_database, signup_after_the_plan
):
    out = StringIO()
    with pytest.raises(CommandError, match="--atomic: 1 rows cannot be imported"):
        call_command("import_node_users", "--from", basic_node_database.url, "--atomic", stdout=out)
    assert "write_conflict: 1" in out.getvalue()
    assert ImportedNodeUser.objects.count() == 0
    assert sorted(User.objects.values_list("username", flat=True)) == ["KENJI", "judy"]


def test_without_atomic_a_row_that_fails_at_write_is_reported_and_the_others_imported(
    basic_node_database, signup_after_the_plan
):
    report = run_import(basic_node_database.url)

    assert report["imported"] == len(IMPORTABLE) - 1
    assert report["skipped"] == {"write_conflict": 1}
    assert report["skipped_rows"]["write_conflict"][0]["username"] == "kenji"
    assert not ImportedNodeUser.objects.filter(node_username="kenji").exists()
    assert User.objects.count() == 1 + len(IMPORTABLE)  # judy, six imported, KENJI


def test_changes_in_node_since_the_import_are_reported_not_applied(changing_node_database):
    run_import(changing_node_database.url)
    changing_node_database.execute("UPDATE users SET email = %s WHERE username = 'alice'", "new@example.com")
    changing_node_database.execute(
        "UPDATE users SET password = %s WHERE username = 'mod'", "$2a$08$" + "x" * 53
    )
    changing_node_database.execute("DELETE FROM user_roles WHERE userId = 3")
    changing_node_database.execute("DELETE FROM users WHERE username = 'kenji'")

    report = run_import(changing_node_database.url)

    assert report["imported"] == 0
    assert report["changed_since_import"] == [
        {"node_id": 1, "user_id": User.objects.get(username="alice").pk, "fields": ["email"]},
        {"node_id": 2, "user_id": User.objects.get(username="mod").pk, "fields": ["password"]},
        {"node_id": 3, "user_id": User.objects.get(username="boss").pk, "fields": ["roles"]},
    ]
    assert report["gone_from_node"] == [5]
    assert User.objects.get(username="alice").email == "alice@example.com"
    assert User.objects.filter(username="kenji").exists()


def test_a_user_deleted_in_authsite_is_not_imported_again(basic_node_database):
    run_import(basic_node_database.url)
    User.objects.get(username="alice").delete()

    report = run_import(basic_node_database.url)

    assert report["imported"] == 0
    assert not User.objects.filter(username="alice").exists()
    assert ImportedNodeUser.objects.get(node_id=1).user is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://u@h/db", "--from must be a mysql:// URL"),
        ("mysql://root@127.0.0.1:3306", "--from must name the database"),
        ("mysql://root@127.0.0.1:notaport/db", "--from has an invalid port"),
    ],
)
def test_a_bad_source_url_is_refused(url, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_node_users", "--from", url)


def test_a_database_that_is_not_the_tutorials_is_refused(node_database):
    node_database.execute("RENAME TABLE user_roles TO user_roles_away")
    try:
        with pytest.raises(CommandError, match="not a Node.js tutorial database: no table user_roles"):
            call_command("import_node_users", "--from", node_database.url)
    finally:
        node_database.execute("RENAME TABLE user_roles_away TO user_roles")
    missing = SOURCE_URL + "_missing"  # a name of ours, never created
    with pytest.raises(CommandError, match="cannot connect to .*Unknown database"):
        call_command("import_node_users", "--from", missing)


def test_the_admin_lists_imported_users_read_only(basic_node_database, client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    assert client.login(username="root", password=PASSWORD)
    run_import(basic_node_database.url)
    record = ImportedNodeUser.objects.get(node_username="kenji")

    response = client.get("/admin/nodeimport/importednodeuser/?q=kenji")
    assert response.status_code == 200
    assert b">kenji<" in response.content and b">alice<" not in response.content
    assert client.get("/admin/nodeimport/importednodeuser/add/").status_code == 403
    page = client.get(f"/admin/nodeimport/importednodeuser/{record.pk}/change/")
    assert page.status_code == 200 and b'type="submit" value="Save"' not in page.content


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" alice ", ("alice", None)),  # signup trims whitespace too
        ("ＡＬＩＣＥ", ("ALICE", None)),  # NFKC, as signup; the case is kept, uniqueness ignores it
        ("ﬃ" * 50, ("ffi" * 50, None)),  # NFKC expands to exactly 150
        ("ﬃ" * 51, (None, "longer than 150 characters")),
        ("", (None, "missing")),
        (None, (None, "missing")),
        ("a/b", (None, "letters, digits and @/./+/-/_ only")),
    ],
)
def test_usernames_follow_signups_rules(given, expected):
    assert plan.check_username(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (" Bob@EXAMPLE.com ", ("Bob@example.com", None)),  # as create_user normalises it
        ("a@" + "b" * 250 + ".com", (None, "longer than 254 characters")),
        ("no-at-sign", (None, "not a valid email address")),
        (None, (None, "missing")),
    ],
)
def test_emails_follow_signups_rules(given, expected):
    assert plan.check_email(given) == expected
