"""
Sign-in with an OpenID Connect provider: ``/api/auth/oidc/<provider>/login`` and ``callback``,
``/api/auth/oidc/token``, ``/api/auth/oidc/<provider>/link``; the caller's identities at
``/api/auth/identities`` and ``/api/auth/identities/<id>``.

Once ``next`` is known (a valid flow), every failure ends there with ``#error=<code>`` (the SPA
shows it); before that, a JSON 4xx. Success ends at ``next#code=<one-time code>``
(``#linked=<provider>`` for linking): the provider's tokens never reach the browser.
"""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts import cookies
from accounts.api import PublicAPIView, SignedInAPIView, body_field
from accounts.messages import (
    IDENTITY_UNLINKED,
    LAST_WAY_IN,
    NOT_FOUND,
    OIDC_INVALID_CODE,
    OIDC_INVALID_FLOW,
    OIDC_INVALID_LINK_REQUEST,
    OIDC_INVALID_NEXT,
)
from accounts.models import Session, User
from accounts.origins import OriginNotAllowed
from accounts.permissions import current_session
from accounts.schema import THROTTLED, TOKEN_ERRORS, message_response
from accounts.serializers import SigninResponseSerializer
from accounts.signin import open_session, signin_response
from accounts.throttling import SigninIPThrottle
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors
from proxyauth.models import ExternalIdentity

from . import flow as flows
from .discovery import ProviderUnavailable, metadata_for
from .exchange import ProviderError, authorization_url, claims_for_code
from .identities import SignInRefused, link, user_for_claims
from .idtoken import InvalidIDToken
from .models import CodeInvalid, OneTimeCode
from .serializers import CodeSerializer, IdentitySerializer, LinkRequestSerializer, LinkStartedSerializer

logger = logging.getLogger("authsite.oidc")



PROVIDER = OpenApiParameter("provider", OpenApiTypes.STR, OpenApiParameter.PATH,
                            description="A name from OIDC_PROVIDERS (e.g. google)")
NEXT = OpenApiParameter("next", OpenApiTypes.URI, description="Where the flow ends (an allowed origin)")
REDIRECT = OpenApiResponse(description="To the provider, or to next with #code=, #linked= or #error=")
NOT_FOUND_ERROR = (404, NOT_FOUND)


def provider_named(name):
    provider = settings.OIDC_PROVIDERS.get(name)
    if provider is None:
        raise exceptions.NotFound()
    return provider


class Redirect(HttpResponseRedirect):
    allowed_schemes = ["http", "https"]


def to_next(next_url, **fragment):
    return Redirect(f"{next_url}#{urlencode(fragment)}")


@extend_schema(
    summary="Start signing in with an OpenID Connect provider (302 to it)",
    parameters=[PROVIDER, NEXT, OpenApiParameter("link", OpenApiTypes.STR, description="A ticket from .../link")],
    responses={302: REDIRECT, **api_errors(
        (400, OIDC_INVALID_NEXT), (400, OIDC_INVALID_LINK_REQUEST), NOT_FOUND_ERROR, *THROTTLED, *DATABASE_ERRORS)},
)
class LoginView(PublicAPIView):
    """``GET .../<provider>/login?next=<url>``: 302 to the provider (``&link=<ticket>`` to link)."""

    throttle_classes = [SigninIPThrottle]

    def get(self, request, provider):
        provider = provider_named(provider)
        next_url = request.query_params.get("next", settings.OIDC_DEFAULT_NEXT)
        if not flows.allowed_next(next_url):
            raise exceptions.ValidationError({"next": [OIDC_INVALID_NEXT]})
        link_user = None
        if "link" in request.query_params:
            ticket = flows.redeem_link_ticket(request.query_params["link"])
            if ticket is None or not _live(*ticket):
                raise exceptions.ValidationError({"link": [OIDC_INVALID_LINK_REQUEST]})
            link_user = ticket[0]
        try:
            metadata = metadata_for(provider)
        except ProviderUnavailable as exc:
            logger.warning("OIDC provider %s unavailable: %s", provider.name, exc)
            return to_next(next_url, error="provider_unavailable")
        flow = flows.Flow.start(provider, next_url, link_user)
        response = Redirect(authorization_url(provider, metadata, flow))
        flow.set_cookie(request, response)
        return response


def _live(user_id, session_id):
    if session_id is None:
        return User.objects.filter(pk=user_id, is_active=True).exists()
    return Session.objects.live().filter(pk=session_id, user_id=user_id, user__is_active=True).exists()


@extend_schema(
    summary="The provider's answer (302 to next)",
    parameters=[PROVIDER, *(OpenApiParameter(name, OpenApiTypes.STR) for name in ("state", "code", "iss", "error"))],
    responses={302: REDIRECT, **api_errors((400, OIDC_INVALID_FLOW), NOT_FOUND_ERROR, *THROTTLED, *DATABASE_ERRORS)},
)
class CallbackView(PublicAPIView):
    """``GET .../<provider>/callback``: the provider's answer; 302 to ``next``."""

    throttle_classes = [SigninIPThrottle]

    def get(self, request, provider):
        provider = provider_named(provider)
        flow = flows.Flow.from_cookie(request)
        if flow is None or flow.provider != provider.name:
            raise exceptions.ValidationError({"state": [OIDC_INVALID_FLOW]})
        try:
            result = self.complete(request, provider, flow)
        except SignInRefused as exc:
            result = {"error": exc.code}
        response = to_next(flow.next, **result)
        flows.forget(response)
        return response

    def complete(self, request, provider, flow):
        params = request.query_params
        if params.get("state") != flow.state or not flow.claim_state():
            return {"error": "invalid_state"}
        try:
            metadata = metadata_for(provider)
        except ProviderUnavailable:
            return {"error": "provider_unavailable"}
        if "iss" in params or metadata.iss_parameter_supported:  # RFC 9207
            if params.get("iss") != provider.issuer:
                return {"error": "invalid_issuer"}
        if "error" in params:
            return {"error": "access_denied" if params["error"] == "access_denied" else "provider_error"}
        if not params.get("code"):
            return {"error": "provider_error"}
        try:
            claims = claims_for_code(provider, metadata, flow, params["code"])
        except ProviderUnavailable as exc:
            logger.warning("OIDC provider %s unavailable: %s", provider.name, exc)
            return {"error": "provider_unavailable"}
        except ProviderError as exc:
            logger.info("OIDC code exchange refused by %s: %s", provider.name, exc)
            return {"error": "provider_error"}
        except InvalidIDToken as exc:
            logger.warning("OIDC ID token from %s refused: %s", provider.name, exc)
            return {"error": "invalid_id_token"}
        if flow.link_user is not None:
            owner = User.objects.filter(pk=flow.link_user, is_active=True).first()
            if owner is None:  # deleted or deactivated since the link started
                return {"error": "account_inactive"}
            link(provider, claims, owner)
            return {"linked": provider.name}
        user = user_for_claims(provider, claims)
        if not user.is_active:
            return {"error": "account_inactive"}
        with transaction.atomic():
            session, refresh_token = open_session(request, user)
            code = OneTimeCode.objects.issue(session, refresh_token)
        return {"code": code}


@extend_schema(
    summary="Trade the one-time code for the sign-in tokens",
    request=CodeSerializer,
    responses={200: SigninResponseSerializer, **api_errors(
        (400, OIDC_INVALID_CODE), *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS)},
)
class TokenView(PublicAPIView):
    """``POST /api/auth/oidc/token {code}``: the sign-in body of the session the code opened."""

    throttle_classes = [SigninIPThrottle]

    def post(self, request):
        if cookies.refuses_signin(request):  # login CSRF in cookie mode, as at password sign-in
            raise OriginNotAllowed()
        try:
            session, refresh_token = OneTimeCode.objects.redeem(body_field(request, "code"))
        except CodeInvalid:
            raise exceptions.ValidationError({"code": [OIDC_INVALID_CODE]}) from None
        return signin_response(session.user, session, refresh_token)


@extend_schema(
    summary="Start linking a provider identity to the caller",
    parameters=[PROVIDER],
    request=LinkRequestSerializer,
    responses={200: LinkStartedSerializer, **api_errors(
        (400, OIDC_INVALID_NEXT), *TOKEN_ERRORS, NOT_FOUND_ERROR, *BODY_ERRORS, *DATABASE_ERRORS)},
)
class LinkView(SignedInAPIView):
    """``POST .../<provider>/link {next?}``: ``{"location": url}``: open it to link an identity."""

    def post(self, request, provider):
        provider = provider_named(provider)
        next_url = body_field(request, "next") or settings.OIDC_DEFAULT_NEXT
        if not flows.allowed_next(next_url):
            raise exceptions.ValidationError({"next": [OIDC_INVALID_NEXT]})
        session = current_session(request)
        ticket = flows.link_ticket(request.user, session.pk if session else None)
        query = urlencode({"next": next_url, "link": ticket})
        return Response({"location": f"{settings.SITE_URL}/api/auth/oidc/{provider.name}/login?{query}"})


def provider_names(issuer):
    return [p.name for p in settings.OIDC_PROVIDERS.values() if p.issuer == issuer]


@extend_schema(
    summary="The caller's external identities",
    responses={200: IdentitySerializer(many=True), **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS)},
)
class IdentityListView(SignedInAPIView):
    """``GET /api/auth/identities``: the caller's external identities, oldest first."""

    def get(self, request):
        identities = request.user.external_identities.order_by("created_at", "pk")
        return Response([
            {"id": i.pk, "issuer": i.provider, "providers": provider_names(i.provider),
             "subject": i.subject, "createdAt": i.created_at}
            for i in identities
        ])


@extend_schema(
    summary="Unlink one of the caller's identities",
    parameters=[OpenApiParameter("identity_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    responses={200: message_response(IDENTITY_UNLINKED), **api_errors(
        (400, LAST_WAY_IN), *TOKEN_ERRORS, NOT_FOUND_ERROR, *DATABASE_ERRORS)},
)
class IdentityDetailView(SignedInAPIView):
    """``DELETE /api/auth/identities/<id>``: unlink, unless it is the last way to sign in."""

    def delete(self, request, identity_id):
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=request.user.pk)  # one unlink at a time
            identity = get_object_or_404(ExternalIdentity, pk=identity_id, user=user)
            others = ExternalIdentity.objects.filter(user=user).exclude(pk=identity.pk).exists()
            if not others and not user.has_usable_password():
                raise exceptions.ValidationError({"identity": [LAST_WAY_IN]})
            identity.delete()
        return Response({"message": IDENTITY_UNLINKED})
