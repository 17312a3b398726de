"""
OpenAPI description of the access-token transport (imported by ``AccountsConfig.ready``).

``AccessTokenAuthentication`` accepts either of two schemes, and one is enough: the raw token in
the ``x-access-token`` header, or ``Authorization: Bearer <token>``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from authsite.exceptions import NO_TOKEN_MESSAGE

from .authentication import ACCESS_TOKEN_HEADER, AccessTokenExpired, Unauthorized

# What an endpoint that requires a token answers without a valid one.
TOKEN_ERRORS = (
    (401, Unauthorized.default_detail),
    (401, AccessTokenExpired.default_detail),
    (403, NO_TOKEN_MESSAGE),
)


# Where a token is optional (the public endpoints): either scheme, or none.
OPTIONAL_TOKEN = [{"accessToken": []}, {"bearerAuth": []}, {}]


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.AccessTokenAuthentication"
    name = ["accessToken", "bearerAuth"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": ACCESS_TOKEN_HEADER.removeprefix("HTTP_").replace("_", "-").lower(),
                "description": "The access token from signin, raw (no prefix). Wins over Bearer.",
            },
            build_bearer_security_scheme_object("Authorization", "Bearer", "JWT"),
        ]

