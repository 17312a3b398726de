import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("authsite")


class AuthsiteConfig(AppConfig):
    name = "authsite"
    verbose_name = "authsite"

    def ready(self):
        from . import checks

        checks.register_checks()
        if settings.DEV_DEFAULTS_IN_USE:
            logger.warning(
                "DJANGO_DEBUG=1 and %s not set: using insecure development defaults. "
                "Never run like this in production.",
                ", ".join(settings.DEV_DEFAULTS_IN_USE),
            )
