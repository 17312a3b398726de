"""Database expressions the ORM lacks on the project's backends (SQLite and MySQL/MariaDB)."""

from django.db.models import Aggregate, CharField


class GroupConcat(Aggregate):
    """
    The values of a group joined with ``,`` into one string (NULL for an empty group): SQLite's
    ``group_concat(x, ',')``, MySQL/MariaDB's ``GROUP_CONCAT(x SEPARATOR ',')``. The order of the
    items is unspecified; callers sort.
    """

    function = "GROUP_CONCAT"
    output_field = CharField()
    separator = ","

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=f"%(function)s(%(expressions)s, '{self.separator}')",
            **extra_context,
        )

    def as_mysql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=f"%(function)s(%(expressions)s SEPARATOR '{self.separator}')",
            **extra_context,
        )
