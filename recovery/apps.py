from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Account recovery"

    def ready(self):
        from . import checks, emails  # noqa: F401  (register the deploy checks and the mail composers)
