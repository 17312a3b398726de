"""
ASGI entry point, `authsite.asgi:application`: what the production server (server.py) runs.

Why ASGI: CGI-style ``META`` keys turn ``-`` into ``_``, so ``X_Forwarded_For`` and
``X-Forwarded-For`` (or ``X_Goog_Iap_Jwt_Assertion`` and the proxy's ``X-Goog-Iap-Jwt-Assertion``)
name the same ``HTTP_X_FORWARDED_FOR`` key: a client could send a header the proxy never set,
under a spelling the proxy does not strip, and replace the proxy's own ("header map collision").
granian's WSGI interface merges the two spellings before the application sees them (the last one
wins). Under ASGI the raw names reach the application, and Django's ``ASGIRequest`` drops every
header name containing ``_`` ("Prevent spoofing via ambiguity between underscores and hyphens"),
as gunicorn, nginx and runserver do. tests/test_server_headers.py pins this through server.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

application = get_asgi_application()
