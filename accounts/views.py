"""
The auth endpoints: ``/api/auth/signup``, ``signin``, ``refreshtoken``, ``signout`` (the tutorial's),
``me``, ``sessions``, ``sessions/<id>``, ``password`` (authsite's); and the public keys of
authsite's own tokens, ``/.well-known/jwks.json``.

Every response of these endpoints carries ``Cache-Control: no-store`` (several carry tokens).

Length (~400 lines): each view is a few lines, but its ``extend_schema`` documents every answer
of API.md's table for it, which is most of the module; splitting by endpoint would scatter one
contract section over several files.
"""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from authsite.reporting import takes_secrets
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, ErrorSerializer, api_errors
from mfa import signin as second_factor
from mfa.serializers import SecondFactorRequiredSerializer, SetupRequiredSerializer
from recovery import services as recovery

from . import cookies
from .api import PublicAPIView, SignedInAPIView, user_agent
from .authentication import Unauthorized
from .messages import (
    EMAIL_NOT_VERIFIED,
    EMAIL_TAKEN,
    INVALID_CREDENTIALS,
    NOT_FOUND,
    OLD_PASSWORD_INCORRECT,
    PASSWORD_CHANGED,
    REFRESH_TOKEN_EXPIRED,
    REFRESH_TOKEN_REQUIRED,
    REFRESH_TOKEN_UNKNOWN,
    REQUIRE_ADMIN_ROLE,
    ROLE_DOES_NOT_EXIST,
    SECOND_FACTOR_REQUIRED,
    SECOND_FACTOR_SETUP_REQUIRED,
    SESSION_REVOKED,
    SIGNED_OUT,
    SIGNED_UP,
    USERNAME_TAKEN,
)
from .models import RefreshTokenReused, Session
from .origins import OriginNotAllowed
from .permissions import HasSession, current_session
from .schema import THROTTLED, TOKEN_ERRORS, invalid_field, message_response
from .security import log_event
from .serializers import (
    JWKSSerializer,
    MeSerializer,
    PasswordChangedSerializer,
    PasswordChangeSerializer,
    RefreshTokenResponseSerializer,
    RefreshTokenSerializer,
    SessionSerializer,
    SigninFailedSerializer,
    SigninResponseSerializer,
    SigninSerializer,
    SignoutSerializer,
    SignupSerializer,
)
from .signin import open_session, signin_response
from .throttling import (
    FailedSigninThrottle,
    PasswordConfirmationThrottle,
    RefreshIPThrottle,
    SigninIPThrottle,
    SignupIPThrottle,
)
from .tokens import SESSION_ID_CLAIM, AccessToken, successor_refresh_token, token_backend


@extend_schema(
    summary="Register a user",
    request=SignupSerializer,
    responses={
        200: message_response(SIGNED_UP),
        **api_errors(
            invalid_field("username", "Username is required."),
            invalid_field("password", "This password is too common."),
            (400, USERNAME_TAKEN),
            (400, EMAIL_TAKEN),
            (400, ROLE_DOES_NOT_EXIST.format(name="superuser")),
            (403, REQUIRE_ADMIN_ROLE),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class SignupView(PublicAPIView):
    throttle_classes = [SignupIPThrottle]

    def post(self, request):
        serializer = SignupSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():  # the user and its verification mail, or neither
            user = serializer.save()
            recovery.send_verification(user)
        return Response({"message": SIGNED_UP})


@extend_schema(
    summary="Sign in: an access token and a refresh token",
    request=SigninSerializer,
    responses={
        200: SigninResponseSerializer,
        **api_errors(
            (401, {"accessToken": None, "message": INVALID_CREDENTIALS}),
            (401, {"message": SECOND_FACTOR_REQUIRED, "mfaToken": "...", "methods": second_factor.METHODS}),
            serializer=PolymorphicProxySerializer(
                "SigninRefused", [SigninFailedSerializer, SecondFactorRequiredSerializer], None
            ),
        ),
        **api_errors(
            (403, EMAIL_NOT_VERIFIED),
            (403, {"message": SECOND_FACTOR_SETUP_REQUIRED, "setupToken": "..."}),
            serializer=PolymorphicProxySerializer("SigninForbidden", [ErrorSerializer, SetupRequiredSerializer], None),
        ),
        **api_errors(
            invalid_field("username", "Username is required."),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class SigninView(PublicAPIView):
    throttle_classes = [SigninIPThrottle, FailedSigninThrottle]

    def post(self, request):
        if cookies.refuses_signin(request):  # login CSRF: a foreign origin (accounts.origins)
            self.refund(FailedSigninThrottle)
            raise OriginNotAllowed()
        serializer = SigninSerializer(data=request.data)
        if not serializer.is_valid():
            # No password was checked: not a failed attempt on the account (a body naming only
            # the victim's username must not lock the victim out).
            self.refund(FailedSigninThrottle)
            raise exceptions.ValidationError(serializer.errors)
        # One answer for unknown usernames, wrong passwords and inactive accounts; Django's
        # ModelBackend hashes the password for unknown usernames too, so timing tells nothing.
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            log_event("signin_failed", request, username=serializer.validated_data["username"])
            return Response({"accessToken": None, "message": INVALID_CREDENTIALS}, status=401)
        self.refund(FailedSigninThrottle)
        if settings.EMAIL_VERIFICATION == "mandatory" and not user.email_verified:
            recovery.remind_unverified(request, user)
            raise EmailNotVerified()
        stopped = second_factor.challenge(request, user)  # 401 mfaToken / 403 setupToken, or None
        if stopped is not None:
            return stopped
        session, refresh_token = open_session(request, user)
        return signin_response(user, session, refresh_token)


class EmailNotVerified(exceptions.PermissionDenied):
    default_detail = EMAIL_NOT_VERIFIED


class RefreshTokenRequired(exceptions.PermissionDenied):
    default_detail = REFRESH_TOKEN_REQUIRED


class RefreshTokenUnknown(exceptions.PermissionDenied):
    default_detail = REFRESH_TOKEN_UNKNOWN


class RefreshTokenExpired(exceptions.PermissionDenied):
    default_detail = REFRESH_TOKEN_EXPIRED


@extend_schema(
    summary="A new access token for a refresh token",
    request=RefreshTokenSerializer,
    responses={
        200: RefreshTokenResponseSerializer,
        **api_errors(
            (403, RefreshTokenRequired.default_detail),
            (403, RefreshTokenUnknown.default_detail),
            (403, RefreshTokenExpired.default_detail),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class RefreshTokenView(PublicAPIView):
    """
    A new access token for a live session. By default the same refresh token is returned and
    stays valid; with ``JWT_ROTATE_REFRESH_TOKENS`` a new one is returned and the old one is
    accepted again only for ``JWT_ROTATION_GRACE_SECONDS`` (its reuse after that revokes the
    session).
    """

    throttle_classes = [RefreshIPThrottle]

    def post(self, request):
        cookie_token = cookies.refresh_cookie(request)  # origin-checked before the body is read
        refresh_token = RefreshTokenSerializer.read(request.data)["refreshToken"]
        if refresh_token is None:
            refresh_token = cookie_token
        if refresh_token is None:
            raise RefreshTokenRequired()
        try:
            found = Session.objects.redeem_refresh_token(refresh_token)
        except RefreshTokenReused:
            raise RefreshTokenUnknown() from None
        if found is None:
            raise RefreshTokenUnknown()
        session, is_current = found
        if session.is_revoked or not session.user.is_active or not session.has_current_password:
            raise RefreshTokenUnknown()
        if session.is_expired:
            raise RefreshTokenExpired()
        if not is_current:
            # A retired token inside the grace window (a concurrent tab): the same successor.
            refresh_token = successor_refresh_token(refresh_token)
        elif settings.JWT_ROTATE_REFRESH_TOKENS:
            refresh_token = session.rotate(refresh_token)
        else:
            session.touch()
        access_token = AccessToken.for_session(session)
        return cookies.token_response(
            {"accessToken": str(access_token), "refreshToken": refresh_token},
            access_token, refresh_token, session,
        )


@extend_schema(
    summary="Sign out: revoke the session (or, with all, every session of the user)",
    request=SignoutSerializer,
    responses={200: message_response(SIGNED_OUT), **api_errors(*BODY_ERRORS, *DATABASE_ERRORS)},
)
@takes_secrets
class SignoutView(PublicAPIView):
    """
    Revoke the session of the given refresh token (current, or retired by rotation) and of the
    presented access token; with ``{"all": true}``, every session of their user, provided one of
    them is a live session's: a dead credential (signed out, expired) signs nobody out everywhere.
    """

    def post(self, request):
        sessions = Session.objects.none()
        # Cookies first: a cookie request is origin-checked before the body is read.
        cookie_token = cookies.refresh_cookie(request)
        if isinstance(request.auth, AccessToken):  # not a proxy assertion
            sessions |= Session.objects.filter(pk=request.auth[SESSION_ID_CLAIM], user=request.user)
        body = SignoutSerializer.read(request.data)
        refresh_token = body.get("refreshToken") or cookie_token
        if refresh_token:
            sessions |= Session.objects.with_refresh_token(refresh_token)
        if body.get("all"):
            # Evaluated first: MySQL cannot UPDATE a table filtered by a subquery on itself.
            user_ids = set(sessions.live().values_list("user_id", flat=True))
            sessions = Session.objects.filter(user__in=user_ids)
        revoked = sessions.revoke()
        if revoked:
            log_event("session_revoked", request, reason="signout", sessions=revoked)
        return cookies.clear_token_cookies(Response({"message": SIGNED_OUT}), request)


@extend_schema(
    summary="The caller", responses={200: MeSerializer, **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS)}
)
class MeView(SignedInAPIView):
    """``GET /api/auth/me``: the caller, roles included (no query beyond authentication)."""

    def get(self, request):
        return Response(MeSerializer(request.user).data)


@extend_schema(
    summary="The caller's live sessions",
    responses={200: SessionSerializer(many=True), **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS)},
)
class SessionListView(SignedInAPIView):
    """``GET /api/auth/sessions``: the caller's live sessions, newest first."""

    def get(self, request):
        sessions = request.user.sessions.live().order_by("-created_at", "-pk")
        context = {"current": current_session(request)}
        return Response(SessionSerializer(sessions, many=True, context=context).data)


@extend_schema(
    summary="Revoke one of the caller's sessions",
    parameters=[OpenApiParameter("session_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    responses={
        200: message_response(SESSION_REVOKED),
        **api_errors(*TOKEN_ERRORS, (404, NOT_FOUND), *DATABASE_ERRORS),
    },
)
class SessionDetailView(SignedInAPIView):
    """``DELETE /api/auth/sessions/<id>``: revoke one of the caller's live sessions (404 otherwise)."""

    def delete(self, request, session_id):
        session = get_object_or_404(request.user.sessions.live(), pk=session_id)
        Session.objects.filter(pk=session.pk).revoke()
        log_event("session_revoked", request, reason="user", user=request.user.pk, session=session.pk)
        return Response({"message": SESSION_REVOKED})


@extend_schema(
    summary="Change the caller's password",
    request=PasswordChangeSerializer,
    responses={
        200: PasswordChangedSerializer,
        **api_errors(
            invalid_field("oldPassword", OLD_PASSWORD_INCORRECT),
            invalid_field("newPassword", "This password is too common."),
            *TOKEN_ERRORS,
            (403, HasSession.message),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class PasswordChangeView(SignedInAPIView):
    """
    ``POST /api/auth/password``: change the caller's password. Every session of the user ends,
    the current one included (so a stolen access token of it dies too); the response's tokens
    belong to a new session that takes the current one's place (same absolute expiry). Callers
    without a session (a proxy identity) are refused; so is one whose session ended meanwhile
    (401 ``Unauthorized!``).
    """

    permission_classes = [HasSession]
    throttle_classes = [PasswordConfirmationThrottle]

    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            self.refund(PasswordConfirmationThrottle)  # no password was checked: not a failed attempt
            raise exceptions.ValidationError(serializer.errors)
        user = request.user
        if not user.check_password(serializer.validated_data["oldPassword"]):
            log_event("password_change_failed", request, user=user.pk)
            raise exceptions.ValidationError({"oldPassword": [OLD_PASSWORD_INCORRECT]})
        self.refund(PasswordConfirmationThrottle)
        current = current_session(request)
        with transaction.atomic():
            # Conditional: the session may have been revoked or evicted since authentication.
            if not Session.objects.filter(pk=current.pk, expires_at__gt=timezone.now()).revoke():
                raise Unauthorized()
            # The new hash ends every session opened under the old one; the replacement session
            # is opened under the new one.
            user.set_password(serializer.validated_data["newPassword"])
            user.save(update_fields=["password"])
            session, refresh_token = Session.objects.start(
                user, user_agent(request), expires_at=current.expires_at
            )
        log_event("password_changed", request, user=user.pk, level=logging.INFO)
        access_token = AccessToken.for_session(session)
        return cookies.token_response(
            {
                "message": PASSWORD_CHANGED,
                "accessToken": str(access_token),
                "refreshToken": refresh_token,
                "tokenType": "Bearer",
            },
            access_token, refresh_token, session,
        )


@extend_schema(summary="The public keys of authsite's access tokens", responses={200: JWKSSerializer})
class JWKSView(APIView):
    """
    ``GET /.well-known/jwks.json``: the public keys that verify authsite's access tokens (current
    and previous, each with its ``kid``); an empty set with a symmetric ``JWT_ALGORITHM``. Needs no
    identity and reads none.
    """

    authentication_classes = []
    cache_seconds = 300

    def get(self, request):
        response = Response(token_backend().published_jwks())
        response["Cache-Control"] = f"public, max-age={self.cache_seconds}"
        return response
