"""Database expressions the ORM lacks on the project's backends (SQLite, MySQL/MariaDB, PostgreSQL)."""

from django.db.models import Aggregate, CharField, Func
from django.db.models.functions import SHA256


class GroupConcat(Aggregate):
    """
    The values of a group joined with ``,`` into one string (NULL for an empty group): SQLite's
    ``group_concat(x, ',')``, MySQL/MariaDB's ``GROUP_CONCAT(x SEPARATOR ',')``, PostgreSQL's
    ``STRING_AGG(CAST(x AS text), ',')`` (it aggregates text only). The order of the items is
    unspecified; callers sort.
    """

    function = "GROUP_CONCAT"
    output_field = CharField()
    separator = ","

    @classmethod
    def sql(cls, vendor, expression):
        """
        The aggregate of the SQL ``expression`` on ``vendor`` (``"sqlite"``, ``"mysql"`` or
        ``"postgresql"``).
        """
        if vendor == "mysql":
            return f"{cls.function}({expression} SEPARATOR '{cls.separator}')"
        if vendor == "postgresql":
            return f"STRING_AGG(CAST({expression} AS text), '{cls.separator}')"
        return f"{cls.function}({expression}, '{cls.separator}')"

    def as_sqlite(self, compiler, connection, **extra_context):
        template = self.sql(connection.vendor, "%(expressions)s")
        return self.as_sql(compiler, connection, template=template, **extra_context)

    as_mysql = as_postgresql = as_sqlite


class SHA256Hex(SHA256):
    """
    Django's ``SHA256`` (lower-case hex of the UTF-8 text: SQLite's registered function, MySQL's
    ``SHA2(x, 256)``), except on PostgreSQL: Django's needs the pgcrypto extension there (``DIGEST``);
    this uses the built-in ``sha256()`` (PostgreSQL 11+), so no extension has to be installed.
    """

    def as_postgresql(self, compiler, connection, **extra_context):
        return Func.as_sql(
            self, compiler, connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra_context,
        )
