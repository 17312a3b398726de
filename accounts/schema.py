"""
OpenAPI description of the access-token transport (imported by ``AccountsConfig.ready``), and the
helpers the API's views document their answers with.

``AccessTokenAuthentication`` accepts either of two schemes, and one is enough: the raw token in
the ``x-access-token`` header, or ``Authorization: Bearer <token>``.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from authsite.exceptions import NO_TOKEN_MESSAGE

from .authentication import ACCESS_TOKEN_HEADER, AccessTokenExpired, Unauthorized
from .messages import THROTTLED_EXAMPLE
from .serializers import MessageSerializer

# What an endpoint that requires a token answers without a valid one.
TOKEN_ERRORS = (
    (401, Unauthorized.default_detail),
    (401, AccessTokenExpired.default_detail),
    (403, NO_TOKEN_MESSAGE),
)


# Where a token is optional (the public endpoints): either scheme, or none.
OPTIONAL_TOKEN = [{"accessToken": []}, {"bearerAuth": []}, {}]

# Throttled requests (accounts.throttling): 429 with Retry-After.
THROTTLED = ((429, THROTTLED_EXAMPLE),)


def message_response(message):
    """A documented 200 ``{"message": message}``."""
    return OpenApiResponse(
        MessageSerializer, examples=[OpenApiExample("success", value={"message": message})]
    )


def invalid_field(field, message):
    """A documented validation error: ``message`` for ``field``, also as the top-level message."""
    return (400, {"message": message, "errors": {field: [message]}})


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

