"""
OpenAPI description of ``CookieTokenAuthentication`` (imported by ``AccountsConfig.ready``): the
two header schemes of ``AccessTokenAuthentication`` and, in cookie mode, the access cookie
(``cookieAuth``, an ``apiKey`` in a cookie). Swagger UI, served from the service's own origin,
sends that cookie by itself once the browser holds it (sign in through ``/api/auth/signin``).
"""

from django.conf import settings

from .schema import AccessTokenScheme

COOKIE_SCHEME = "cookieAuth"


class CookieTokenScheme(AccessTokenScheme):
    target_class = "accounts.cookie_authentication.CookieTokenAuthentication"

    @property
    def name(self):
        names = ["accessToken", "bearerAuth"]
        return names + [COOKIE_SCHEME] if settings.AUTH_COOKIES != "off" else names

    def get_security_definition(self, auto_schema):
        definitions = super().get_security_definition(auto_schema)
        if settings.AUTH_COOKIES != "off":
            definitions.append({
                "type": "apiKey",
                "in": "cookie",
                "name": settings.AUTH_COOKIE_ACCESS_NAME,
                "description": "Cookie mode: the HttpOnly access cookie set by signin (a header token wins).",
            })
        return definitions
