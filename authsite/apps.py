import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("authsite")


class AuthsiteConfig(AppConfig):
    name = "authsite"
    verbose_name = "authsite"

    def ready(self):
        from django.core.signals import request_finished, request_started

        from . import checks, connections

        checks.register_checks()
        request_started.connect(connections.skip_recent_health_checks)
        request_finished.connect(connections.note_healthy_connections)
        if settings.DEV_DEFAULTS_IN_USE:
            logger.warning(
                "DJANGO_DEBUG=1 and %s not set: using insecure development defaults. "
                "Never run like this in production.",
                ", ".join(settings.DEV_DEFAULTS_IN_USE),
            )
