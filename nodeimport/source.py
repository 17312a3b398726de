"""
Reading a Node.js tutorial backend's MySQL/MariaDB database (bezkoder's Express + Sequelize apps).

Sequelize made the tables: ``users`` (id, username, email, password, createdAt, updatedAt; no
unique constraint), ``roles`` (id, name), ``user_roles`` (userId, roleId) and, in the refresh-token
variant, ``refreshTokens``. The basic and the cookie variants have the same tables. Everything is
read in one consistent snapshot, read-only.
"""

from dataclasses import dataclass, field
from datetime import timezone as dt_timezone
from urllib.parse import unquote, urlsplit

import MySQLdb

REQUIRED_TABLES = ("users", "roles", "user_roles")
REFRESH_TOKENS_TABLE = "refreshTokens"


class SourceError(Exception):
    """The source cannot be read: a bad URL, no connection, not a tutorial database."""


@dataclass(frozen=True)
class NodeUser:
    id: int
    username: str | None
    email: str | None
    password: str | None
    created_at: object  # an aware datetime, or None
    roles: tuple = ()  # role names, in role id order


@dataclass
class NodeDatabase:
    label: str  # mysql://HOST:PORT/DB, no credentials
    users: list = field(default_factory=list)
    refresh_tokens: int | None = None  # None: no refreshTokens table (basic or cookie variant)

    @property
    def variant(self):
        return "basic or cookie" if self.refresh_tokens is None else "refresh token"


def connection_parameters(url):
    """
    ``(MySQLdb.connect() arguments, label)`` for ``mysql://USER:PASS@HOST:PORT/DB``; the label is
    the URL without credentials, and names the source in the import records.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb"):
        raise SourceError(f"--from must be a mysql:// URL, not {parts.scheme or url!r}")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise SourceError("--from must name the database: mysql://USER:PASS@HOST:PORT/DB")
    try:
        port = parts.port or 3306
    except ValueError:
        raise SourceError("--from has an invalid port") from None
    host = parts.hostname or "127.0.0.1"
    params = {
        "host": host,
        "port": port,
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "database": database,
        "charset": "utf8mb4",
        "connect_timeout": 10,
    }
    return params, f"mysql://{host}:{port}/{database}"


def read_node_database(url):
    params, label = connection_parameters(url)
    try:
        connection = MySQLdb.connect(**params)
    except MySQLdb.Error as error:
        raise SourceError(f"cannot connect to {label}: {error.args[-1]}") from None
    try:
        return NodeDatabase(label, *read_snapshot(connection.cursor()))
    except MySQLdb.Error as error:
        raise SourceError(f"cannot read {label}: {error.args[-1]}") from None
    finally:
        connection.close()


def read_snapshot(cursor):
    cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
    cursor.execute("SHOW TABLES")
    tables = {name for (name,) in cursor.fetchall()}
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise SourceError(
            f"not a Node.js tutorial database: no table {', '.join(missing)} "
            f"({len(tables)} other tables)"
        )
    cursor.execute("SELECT id, name FROM roles")
    role_names = dict(cursor.fetchall())
    cursor.execute("SELECT userId, roleId FROM user_roles ORDER BY userId, roleId")
    held = {}
    for user_id, role_id in cursor.fetchall():
        held.setdefault(user_id, []).append(role_names.get(role_id, f"#{role_id}"))
    cursor.execute("SELECT id, username, email, password, createdAt FROM users ORDER BY id")
    users = [
        NodeUser(
            id=user_id,
            username=username,
            email=email,
            password=password,
            # Sequelize writes DATETIME in UTC (its default timezone '+00:00').
            created_at=created_at.replace(tzinfo=dt_timezone.utc) if created_at else None,
            roles=tuple(held.get(user_id, ())),
        )
        for user_id, username, email, password, created_at in cursor.fetchall()
    ]
    refresh_tokens = None
    if REFRESH_TOKENS_TABLE in tables:
        cursor.execute(f"SELECT COUNT(*) FROM `{REFRESH_TOKENS_TABLE}`")
        (refresh_tokens,) = cursor.fetchone()
    cursor.execute("COMMIT")
    return users, refresh_tokens
