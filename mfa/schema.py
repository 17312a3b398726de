"""OpenAPI description of the restricted setup token (``mfa.authentication``)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .authentication import SETUP_TOKEN_HEADER


class SetupTokenScheme(OpenApiAuthenticationExtension):
    target_class = "mfa.authentication.SetupTokenAuthentication"
    name = "mfaSetupToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": SETUP_TOKEN_HEADER.removeprefix("HTTP_").replace("_", "-").lower(),
            "description": "The setupToken of a sign-in answered 403 'Second factor setup required!' "
            "(MFA_REQUIRED_ROLES): valid on mfa/totp/setup and mfa/totp/confirm only.",
        }
