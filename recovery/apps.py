from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Account recovery"

    def ready(self):
        from . import emails  # noqa: F401  (registers the mail composers)
