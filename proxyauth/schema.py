"""
OpenAPI description of proxy sign-in (imported by ``ProxyAuthConfig.ready``): when
``PROXY_AUTH`` is on, the proxy's signed assertion header is a third way to be identified; when
it is off, the header is not read and the schema does not mention it.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ProxyAssertionScheme(OpenApiAuthenticationExtension):
    target_class = "proxyauth.authentication.ProxyAssertionAuthentication"
    name = ["proxyAssertion"]

    def get_security_requirement(self, auto_schema):
        return {"proxyAssertion": []} if settings.PROXY_AUTH_PROFILE else None

    def get_security_definition(self, auto_schema):
        profile = settings.PROXY_AUTH_PROFILE
        if profile is None:
            return []
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": profile.header,
                "description": "The identity-aware proxy's signed assertion (set by the proxy).",
            }
        ]
