from django.apps import AppConfig
from django.core.signals import setting_changed


def _forget_key_sets(setting, **kwargs):
    if setting == "PROXY_AUTH_PROFILE":
        from . import keysets

        keysets.clear()


class ProxyAuthConfig(AppConfig):
    name = "proxyauth"
    verbose_name = "Proxy sign-in"

    def ready(self):
        from . import schema  # noqa: F401  (registers the OpenAPI auth extension)

        setting_changed.connect(_forget_key_sets)
