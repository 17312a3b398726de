"""
The provider side of the flow, through Authlib's OAuth 2.0 client (``OAuth2Session``): the
authorization URL (``state``, ``nonce``, PKCE S256 always) and the code exchange (client secret by
HTTP Basic, or none for a public client; the PKCE verifier; a time limit; no redirects followed).
The provider's tokens stay here: only the verified ID token's claims leave this module.
"""

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings

from .discovery import ProviderUnavailable
from .idtoken import verify_id_token

logger = logging.getLogger("authsite.oidc")


class ProviderError(Exception):
    """The provider refused the code exchange (an OAuth error answer)."""


def redirect_uri(provider):
    return f"{settings.SITE_URL}/api/auth/oidc/{provider.name}/callback"


def _client(provider):
    return OAuth2Session(
        provider.client_id,
        provider.client_secret or None,
        token_endpoint_auth_method=provider.token_endpoint_auth_method,
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri(provider),
        code_challenge_method="S256",
    )


def authorization_url(provider, metadata, flow):
    url, _ = _client(provider).create_authorization_url(
        metadata.authorization_endpoint, state=flow.state, nonce=flow.nonce,
        code_verifier=flow.code_verifier,
    )
    return url


def claims_for_code(provider, metadata, flow, code):
    """Exchange ``code`` and return the verified ID token's claims."""
    with _client(provider) as client:
        try:
            token = client.fetch_token(
                metadata.token_endpoint, code=code, code_verifier=flow.code_verifier,
                timeout=settings.OIDC_HTTP_TIMEOUT, allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"token endpoint: {exc}") from None
        except (AuthlibBaseError, ValueError) as exc:
            raise ProviderError(f"token endpoint: {exc}") from None
    return verify_id_token(token.get("id_token"), provider, metadata, flow.nonce)
