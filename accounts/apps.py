from django.apps import AppConfig
from django.conf import settings
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs):
    """
    Create the database cache table (``settings.DATABASE_CACHE``) at every ``migrate``, whichever
    cache is configured: a deployment migrated with ``REDIS_URL`` set and later run without it
    must still find the table (else every throttled endpoint fails). Django's ``createcachetable``
    creates only the tables of ``settings.CACHES``, so its ``create_table`` is called directly.
    """
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(using, settings.DATABASE_CACHE["LOCATION"], dry_run=False)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import cookie_schema, schema  # noqa: F401  (register the OpenAPI auth extensions)
        from .tokens import register_checked_key_hmac

        register_checked_key_hmac()

        post_migrate.connect(create_cache_table, sender=self)
