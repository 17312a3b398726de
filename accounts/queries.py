"""
The request hot path's one query, written once as SQL.

Every protected request needs the token's session, its user and the user's role ids. The ORM
expresses that as ``Session.objects.live().filter(...).select_related("user").annotate(role_ids=
held_role_ids("user_id"))``, but building and compiling that queryset cost about 1.5 ms of CPU per
request, several times everything else the request does (BENCHMARKS.md). ``live_session`` runs the
same query from SQL composed once per database connection, and turns the rows into model instances
with Django's own converters, so the instances are what the ORM would have returned. Its names come
from the models' ``_meta``, and "live" is ``SessionQuerySet.live()``'s definition: tests/test_queries.py
holds the two to the same answers. The role ids come from a LEFT JOIN of the membership table, one
row per role, not the ORM's GROUP_CONCAT subquery: on MariaDB that subquery was half of the
optimizer's work on every call (13-15% of MariaDB's CPU per call; no difference beyond noise on
SQLite and PostgreSQL).

It selects only the columns a request authenticated this way reads (``SESSION_FIELDS``,
``USER_FIELDS``); the others are deferred, as ``QuerySet.only()`` would leave them: reading one
costs a query, so every endpoint that authenticates through here has its query count pinned in the
tests. Selecting all 22 columns cost the worker ~20% and MariaDB ~10% more per call
(BENCHMARKS.md).

On MariaDB the server keeps the statement prepared per connection (``PreparedLiveSessionStatement``),
so each call is an ``EXECUTE`` with the values: MariaDB does not parse the query again.
"""

import weakref

from django.db import DatabaseError, connections
from django.utils import timezone

from .models import Session, User
from .models.users import current_password_digest

# What the request path reads of the caller's session: its id (``current_session`` comparisons,
# mfa's and oidc's "the session making the change"), its user, and ``expires_at`` (a password
# change's replacement session ends when the current one would have).
SESSION_FIELDS = ("id", "user_id", "expires_at")
# ... and of the caller: the id, what ``/api/auth/me``, ``/hello``, the throttles and the logs
# show, and ``is_active`` (true by the query's condition, read by Django's and DRF's auth code).
# Not the password hash: only a password change or confirmation reads it, at one more query
# beside a ~15 ms Argon2id hash.
USER_FIELDS = ("id", "username", "email", "email_verified", "is_active")


def selected_fields(model, attnames):
    return [field for field in model._meta.concrete_fields if field.attname in attnames]


class LiveSessionStatement:
    """The SQL and the row converters for one database connection."""

    def __init__(self, connection):
        quote = connection.ops.quote_name
        session_table = quote(Session._meta.db_table)
        user_table = quote(User._meta.db_table)
        membership = User.roles.through._meta
        membership_table = quote(membership.db_table)
        self.session_fields = selected_fields(Session, SESSION_FIELDS)
        self.user_fields = selected_fields(User, USER_FIELDS)
        self.session_attnames = [field.attname for field in self.session_fields]
        self.user_attnames = [field.attname for field in self.user_fields]
        self.user_relation = Session._meta.get_field("user")
        columns = ", ".join(
            f"{quote(field.model._meta.db_table)}.{quote(field.column)}"
            for field in (*self.session_fields, *self.user_fields)
        )
        role_id = f"{membership_table}.{quote(membership.get_field('role').column)}"
        member = f"{membership_table}.{quote(membership.get_field('user').column)}"
        def session_column(name):
            return f"{session_table}.{quote(Session._meta.get_field(name).column)}"

        session_user = session_column("user")
        user_pk = f"{user_table}.{quote(User._meta.pk.column)}"
        self.compiler = Session.objects.none().query.get_compiler(connection=connection)
        password = User._meta.get_field("password").get_col(User._meta.db_table)
        current_digest, _ = self.compiler.compile(current_password_digest(password))
        self.sql = (
            f"SELECT {columns}, {role_id} "
            f"FROM {session_table} INNER JOIN {user_table} ON {user_pk} = {session_user} "
            f"LEFT OUTER JOIN {membership_table} ON {member} = {user_pk} "
            f"WHERE {session_table}.{quote(Session._meta.pk.column)} = %s "
            f"AND {session_user} = %s "
            f"AND {session_column('revoked_at')} IS NULL "
            f"AND {session_column('expires_at')} > %s "
            f"AND {user_table}.{quote(User._meta.get_field('is_active').column)} = %s "
            f"AND {session_column('password_digest')} = {current_digest}"
        )
        self.converters = self.compiler.get_converters(
            [field.get_col(field.model._meta.db_table) for field in (*self.session_fields, *self.user_fields)]
        )

    def params(self, connection, session_id, user_id):
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        return [session_id, user_id, now, True]

    def rows(self, connection, cursor, params):
        """The result rows of the query on ``connection``, through its ``cursor``."""
        cursor.execute(self.sql, params)
        return cursor.fetchall()

    def session(self, alias, rows):
        """
        The Session (its ``user`` attached, ``role_ids`` set) from the result rows: one per role
        held (one with no role id for none), the same session and user in each.
        """
        values = next(self.compiler.apply_converters([rows[0][:-1]], self.converters))
        split = len(self.session_fields)
        session = Session.from_db(alias, self.session_attnames, values[:split])
        # As select_related caches it (no descriptor, no check of the instance's type).
        self.user_relation.set_cached_value(session, User.from_db(alias, self.user_attnames, values[split:]))
        session.role_ids = [row[-1] for row in rows if row[-1] is not None]
        return session


class PreparedLiveSessionStatement(LiveSessionStatement):
    """
    MariaDB's: the query prepared once per connection (SQL ``PREPARE``), then one ``EXECUTE`` per call.

    mysqlclient has no server-side prepared statements of the binary protocol, so MariaDB would
    parse the whole query on every call; ``EXECUTE ... USING`` with the values as literals
    (MariaDB 10.2+; MySQL takes only user variables there, a round trip more) skips the parse
    (MariaDB still resolves the names and optimizes at each execution). The result comes back in
    the text protocol either way, so the same converters apply. MariaDB's CPU per call fell by
    16-19% (BENCHMARKS.md).

    A prepared statement lives as long as the server's connection. It is prepared at the first
    call over each DB-API connection (Django opens a new one after ``close()``, ``CONN_MAX_AGE``,
    a failed health check or an outage), as that connection's setup: on the DB-API cursor, outside
    Django's query log (its errors still wrapped as Django's), so that a request's query count is
    one whether or not its connection is new; ``connection.queries`` shows the ``EXECUTE``. A
    server that has forgotten the statement (``DEALLOCATE PREPARE``, a reconnect under the same
    connection object) answers error 1243, and it is prepared again. At ``max_prepared_stmt_count``
    (one statement per connection here) the server answers 1461, and that connection runs the
    plain statement.
    """

    name = "authsite_live_session"
    UNKNOWN_STATEMENT = 1243  # ER_UNKNOWN_STMT_HANDLER
    TOO_MANY_STATEMENTS = 1461  # ER_MAX_PREPARED_STMT_COUNT_REACHED

    def __init__(self, connection):
        super().__init__(connection)
        placeholders = ("?",) * self.sql.count("%s")
        self.prepare_sql = f"PREPARE {self.name} FROM %s"
        self.prepared_text = self.sql % placeholders
        self.execute_sql = f"EXECUTE {self.name} USING {', '.join(['%s'] * len(placeholders))}"
        # DB-API connection -> whether the statement is prepared there; weak keys, so that a
        # closed connection's entry goes with it.
        self.prepared = weakref.WeakKeyDictionary()

    def prepare(self, connection):
        """Prepare the statement on ``connection``'s DB-API connection; whether the server took it."""
        dbapi = connection.connection
        try:
            with connection.wrap_database_errors, dbapi.cursor() as cursor:
                cursor.execute(self.prepare_sql, [self.prepared_text])
        except DatabaseError as error:
            if error.args[0] != self.TOO_MANY_STATEMENTS:
                raise
            self.prepared[dbapi] = False
        else:
            self.prepared[dbapi] = True
        return self.prepared[dbapi]

    def rows(self, connection, cursor, params):
        prepared = self.prepared.get(connection.connection)
        if prepared is None:
            prepared = self.prepare(connection)
        if not prepared:
            return super().rows(connection, cursor, params)
        try:
            cursor.execute(self.execute_sql, params)
        except DatabaseError as error:
            if error.args[0] != self.UNKNOWN_STATEMENT:
                raise
            if not self.prepare(connection):
                return super().rows(connection, cursor, params)
            cursor.execute(self.execute_sql, params)
        return cursor.fetchall()


def statement_for(connection):
    """The statement for ``connection``'s backend: prepared on MariaDB, plain elsewhere."""
    if connection.vendor == "mysql" and connection.mysql_is_mariadb:
        return PreparedLiveSessionStatement(connection)
    return LiveSessionStatement(connection)


_statements = {}


def live_session(session_id, user_id, using="default"):
    """
    The live (not revoked, not expired, opened under the current password) session
    ``session_id`` of the active user ``user_id``,
    its user joined and the ids of the user's roles in ``role_ids`` (a list, empty for none): one query,
    read fresh each time. None when there is no such session.
    """
    connection = connections[using]
    statement = _statements.get((using, connection.vendor))
    if statement is None:
        statement = _statements[using, connection.vendor] = statement_for(connection)
    with connection.cursor() as cursor:
        rows = statement.rows(connection, cursor, statement.params(connection, session_id, user_id))
    return statement.session(using, rows) if rows else None

