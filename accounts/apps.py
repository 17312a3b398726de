from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(using="default", **kwargs):
    """
    Create the database cache table (settings.CACHES, when REDIS_URL is unset) at every
    ``migrate``, so a fresh deployment's throttles work without a separate ``createcachetable``.
    """
    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)

        post_migrate.connect(create_cache_table, sender=self)
