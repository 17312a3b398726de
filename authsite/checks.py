"""
System checks of the databases (run by ``migrate`` and ``manage.py check --database default``).

- ``authsite.E001``: a PostgreSQL database must be encoded in UTF8. In a cluster made under the C
  locale the default is SQL_ASCII, which stores any bytes unchecked and makes ``varchar(150)`` count
  bytes, not characters: a username of 150 accented letters would be refused by the database
  (an error, not a 400) while SQLite and MySQL/MariaDB accept it.
"""

from django.core.checks import Error, Tags, register
from django.db import connections


@register(Tags.database)
def check_database_encoding(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_encoding")
            (encoding,) = cursor.fetchone()
        if encoding != "UTF8":
            errors.append(
                Error(
                    f"The PostgreSQL database {connection.settings_dict['NAME']!r} (DATABASE_URL) is "
                    f"encoded in {encoding}, not UTF8.",
                    hint="Create it with CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0.",
                    id="authsite.E001",
                )
            )
    return errors
