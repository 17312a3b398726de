"""
Users, roles and sign-in sessions, a module per concept: ``identity`` (identity keys), ``roles``,
``users``, ``sessions``. Everything is importable from ``accounts.models``.

Usernames and emails are unique *caselessly*: ``Alice``, ``ALICE`` and the full-width ``ＡＬＩＣＥ``
are one name. Each is stored as given and again as its identity key (``identity_key``) in a column
with a unique constraint, compared exactly on every backend, so the database decides uniqueness
the same way on SQLite, MySQL/MariaDB and PostgreSQL, and concurrent sign-ups cannot both win.
(MariaDB's default collations would also fold accents, ``josé`` = ``jose``; SQLite's and
PostgreSQL's would not even fold case. The key columns use a binary collation on MySQL/MariaDB so
neither applies.)
"""

from .identity import PROXY_NAMESPACE_MARK, ExactCharField, identity_key
from .roles import Role, authority, forget_role_names, load_role_names, roles_by_id
from .sessions import RefreshTokenReused, RetiredRefreshToken, Session, SessionManager, SessionQuerySet
from .users import User, UserManager, held_role_ids, identity_key_fits

__all__ = [
    "PROXY_NAMESPACE_MARK",
    "ExactCharField",
    "RefreshTokenReused",
    "RetiredRefreshToken",
    "Role",
    "Session",
    "SessionManager",
    "SessionQuerySet",
    "User",
    "UserManager",
    "authority",
    "forget_role_names",
    "held_role_ids",
    "identity_key",
    "identity_key_fits",
    "load_role_names",
    "roles_by_id",
]
