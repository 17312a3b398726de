"""
Identity keys: the caseless, compatibility-normalised form under which usernames and emails are
unique and looked up, and the exactly compared column that stores them.
"""

import unicodedata

from django.db import models


def identity_key(value):
    """The caseless, compatibility-normalised form under which names are unique and looked up."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


# Usernames containing "@" are the namespace of users provisioned by the sign-in proxy
# (proxyauth.models): sign-up refuses them, so nobody can take the name a future proxy user will
# get (and then be granted that person's roles by name).
PROXY_NAMESPACE_MARK = "@"


class ExactCharField(models.CharField):
    """
    A CharField compared exactly on every backend: with the ``utf8mb4_bin`` collation on
    MySQL/MariaDB (whose default collations ignore case and accents), the default elsewhere
    (SQLite's BINARY; PostgreSQL's database collation, always deterministic: two strings that
    differ in any code point are never equal).
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "mysql" and not self.db_collation:
            params["collation"] = "utf8mb4_bin"
        return params

    def deconstruct(self):
        """Named by its public path (migrations say ``accounts.models.ExactCharField``)."""
        name, _, args, kwargs = super().deconstruct()
        return name, "accounts.models.ExactCharField", args, kwargs
