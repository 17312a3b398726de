from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Second factor"

    def ready(self):
        # The system checks, the notice mails' composers, the OpenAPI auth extension of the setup
        # token, and the admin's login form that asks staff with TOTP for a code.
        from . import admin_login, checks, emails, schema  # noqa: F401

        admin_login.install()
