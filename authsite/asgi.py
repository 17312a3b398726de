"""ASGI entry point: `authsite.asgi:application` (the production server runs authsite.rsgi)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

application = get_asgi_application()
