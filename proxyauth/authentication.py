"""
Sign-in through an identity-aware proxy (Google IAP, Cloudflare Access, or a generic one).

``settings.PROXY_AUTH_PROFILE`` (built from ``PROXY_AUTH`` and friends; None when off) says which
header carries the proxy's signed assertion and how to verify it (``proxyauth.verifier``).

- Off: the header is not even read.
- Header absent: not a proxy request; the other authenticators (authsite's own tokens) run.
- Header present: it must verify, or the request fails with 401 ``Unauthorized!``; there is no
  fallback to another identity, and the unsigned identity headers (``X-Goog-Authenticated-User-*``,
  ``Cf-Access-Authenticated-User-Email``, ``X-Forwarded-Email``, ...) are never read at all.
- Verified: the assertion's subject maps to a local user (``ExternalIdentity``; created on first
  sight with the ``user`` role). ``request.user`` is that user, ``request.auth`` the
  ``VerifiedAssertion``; roles come from the database as for everyone else.

``ProxyAssertionAuthentication`` is listed first in DRF's ``DEFAULT_AUTHENTICATION_CLASSES`` so that
a present assertion is always checked, and so that its ``authenticate_header`` makes DRF answer a
failed assertion with 401 (DRF turns failures into 403 when the first authenticator has none).
``authenticate_proxy_request()`` is the check itself, on a plain Django request.
"""

import logging

from django.conf import settings
from rest_framework.authentication import BaseAuthentication

from accounts.authentication import AccessTokenAuthentication, Unauthorized

from .models import ExternalIdentity, IdentityConflict
from .verifier import InvalidAssertion, verify

logger = logging.getLogger("authsite.proxyauth")


def authenticate_proxy_request(request):
    """
    ``(user, VerifiedAssertion)`` for a Django ``request`` carrying a valid assertion, None when
    proxy sign-in is off or the request carries none; raises ``Unauthorized`` otherwise.
    """
    profile = settings.PROXY_AUTH_PROFILE
    if profile is None:
        return None
    token = request.META.get(profile.meta_key)
    if token is None:
        return None
    try:
        assertion = verify(token, profile)
        user = ExternalIdentity.objects.user_for(assertion)
    except InvalidAssertion as exc:
        logger.info("Proxy assertion refused: %s", exc)
        raise Unauthorized() from None
    except IdentityConflict as exc:
        log_identity_conflict(assertion, exc)
        raise Unauthorized() from None
    if not user.is_active:
        raise Unauthorized()
    return user, assertion


def log_identity_conflict(assertion, conflict):
    """
    Tell the administrator why a new proxy identity got no account. Linking it to the account that
    holds its email is suggested only when that email is verified: otherwise the account may be a
    squatter's, who signed up with the person's address to be handed their identity.
    """
    account = conflict.account
    where = f"account #{account.pk}" if account is not None else "another account"
    if account is not None and account.email_verified:
        advice = "Its email is verified: if it is the same person, link the identity to it in the admin."
    else:
        advice = (
            "Nobody verified that account's email, so it may not be this person's: do not link "
            "them. If the account is not this person's, change its email; the identity is then "
            "provisioned on its next request."
        )
    logger.warning(
        "Proxy identity %s at %s not provisioned: its email %s is the email of %s. %s",
        assertion.subject, assertion.provider, conflict.email, where, advice,
    )


class ProxyAssertionAuthentication(BaseAuthentication):
    def authenticate(self, request):
        return authenticate_proxy_request(request._request)

    def authenticate_header(self, request):
        # The challenge a client can answer directly: authsite's own bearer tokens.
        return AccessTokenAuthentication().authenticate_header(request)
