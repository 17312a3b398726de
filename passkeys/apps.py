from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "passkeys"
    verbose_name = "Passkeys"

    def ready(self):
        from . import checks, emails  # noqa: F401  (register the checks and the mail composers)
