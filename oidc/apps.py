from django.apps import AppConfig


class OIDCConfig(AppConfig):
    name = "oidc"
    verbose_name = "OpenID Connect sign-in"
