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


# The bodies that hand out tokens: with AUTH_COOKIES=on the tokens go in the cookies instead.
TOKEN_BODIES = ("SigninResponse", "RefreshTokenResponse", "PasswordChanged")
TOKEN_FIELDS = ("accessToken", "refreshToken", "tokenType")


def token_bodies_in_cookie_mode(result, generator, request, public):
    """
    drf-spectacular postprocessing hook: with ``AUTH_COOKIES=on`` the sign-in, refresh and
    password-change bodies carry no token (``accounts.cookies.token_response``), so the schema
    says so too (a client generated from it, or schemathesis, sees the real bodies).
    """
    if settings.AUTH_COOKIES != "on":
        return result
    schemas = result.get("components", {}).get("schemas", {})
    for name in TOKEN_BODIES:
        component = schemas.get(name)
        if component is None:
            continue
        for field in TOKEN_FIELDS:
            component.get("properties", {}).pop(field, None)
        component["required"] = [field for field in component.get("required", []) if field not in TOKEN_FIELDS]
        component["description"] = "Cookie mode: the tokens are in the HttpOnly cookies set with this answer."
    return result
