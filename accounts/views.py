"""
The auth endpoints: ``/api/auth/signup``, ``signin``, ``refreshtoken``, ``signout`` (the tutorial's),
``me``, ``sessions``, ``sessions/<id>``, ``password`` (authsite's); and the public keys of
authsite's own tokens, ``/.well-known/jwks.json``.

Every response of these endpoints carries ``Cache-Control: no-store`` (several carry tokens).
"""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.fields import BooleanField
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from authsite.reporting import takes_secrets
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors
from recovery import services as recovery

from . import cookies
from .authentication import IgnoreFailures, Unauthorized
from .models import RefreshTokenReused, Session, User
from .origins import OriginNotAllowed
from .permissions import HasSession, current_session
from .schema import OPTIONAL_TOKEN, TOKEN_ERRORS
from .security import log_event
from .serializers import (
    EMAIL_TAKEN,
    REQUIRE_ADMIN_ROLE,
    ROLE_DOES_NOT_EXIST,
    USERNAME_TAKEN,
    JWKSSerializer,
    MeSerializer,
    MessageSerializer,
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
from .throttling import (
    FailedSigninThrottle,
    RefreshIPThrottle,
    SigninIPThrottle,
    SignupIPThrottle,
    count_request,
)
from .tokens import SESSION_ID_CLAIM, AccessToken, successor_refresh_token, token_backend

INVALID_CREDENTIALS = "Invalid username or password!"
OLD_PASSWORD_INCORRECT = "Old password is incorrect!"
SIGNED_UP = "User registered successfully!"
SIGNED_OUT = "You've been signed out!"
SESSION_REVOKED = "Session revoked."
PASSWORD_CHANGED = "Password changed successfully!"
# Throttled requests (authsite.throttling): 429 with Retry-After.
THROTTLED = ((429, "Request was throttled. Expected available in 60 seconds."),)


def message_response(message):
    """A documented 200 ``{"message": message}``."""
    return OpenApiResponse(
        MessageSerializer, examples=[OpenApiExample("success", value={"message": message})]
    )


def invalid_field(field, message):
    """A documented validation error: ``message`` for ``field``, also as the top-level message."""
    return (400, {"message": message, "errors": {field: [message]}})


class AuthAPIView(APIView):
    """An auth endpoint: nothing it answers is stored by a cache; a refused request counts nowhere."""

    def check_throttles(self, request):
        """
        DRF's, except that the first refusal ends the check and uncounts the throttles before it;
        the throttles that counted the request stay in ``self.counted_throttles`` (for ``refund``).
        """
        self.counted_throttles = self.get_throttles()
        refused = count_request(self.counted_throttles, request, self)
        if refused is not None:
            self.throttled(request, refused.wait())

    def refund(self, throttle_class):
        """Uncount this request from the ``throttle_class`` throttles that counted it."""
        for throttle in self.counted_throttles:
            if isinstance(throttle, throttle_class):
                throttle.refund(self.request, self)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class OptionalTokenMixin:
    """
    For an endpoint that needs no token. A missing, invalid or expired token makes the caller
    anonymous, never a 401: the refresh-flow clients send their expired access token with the
    very requests that get them a new one. Authentication is lazy: a token is only checked if
    the view asks who the caller is.
    """

    def get_authenticators(self):
        return [IgnoreFailures(authenticator) for authenticator in super().get_authenticators()]

    def perform_authentication(self, request):
        pass


@extend_schema(auth=OPTIONAL_TOKEN)
class PublicAPIView(OptionalTokenMixin, AuthAPIView):
    """An auth endpoint that needs no token (signup, signin, refreshtoken, signout)."""


class SignedInAPIView(AuthAPIView):
    """An endpoint for a signed-in user (403 ``No token provided!`` / 401 ``Unauthorized!``)."""

    permission_classes = [IsAuthenticated]


def body_field(request, name):
    """``name`` from a JSON object or form body; None when absent or when the body is no object."""
    data = request.data
    return data.get(name) if hasattr(data, "get") else None


def user_agent(request):
    """
    The client's User-Agent as stored with a session: without NUL characters, which PostgreSQL's
    text columns refuse (sign-in answered 500 there) and no real user agent sends.
    """
    return request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")


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
            serializer=SigninFailedSerializer,
        ),
        **api_errors(
            invalid_field("username", "Username is required."),
            (403, "Email not verified!"),
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
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        session, refresh_token = Session.objects.start(user, user_agent(request))
        access_token = AccessToken.for_session(session)
        return cookies.token_response(
            {
                **MeSerializer(user).data,
                "accessToken": str(access_token),
                "refreshToken": refresh_token,
                "tokenType": "Bearer",
            },
            access_token, refresh_token, session,
        )


class EmailNotVerified(exceptions.PermissionDenied):
    default_detail = "Email not verified!"


class RefreshTokenRequired(exceptions.PermissionDenied):
    default_detail = "Refresh Token is required!"


class RefreshTokenUnknown(exceptions.PermissionDenied):
    default_detail = "Refresh token is not in database!"


class RefreshTokenExpired(exceptions.PermissionDenied):
    default_detail = "Refresh token was expired. Please make a new signin request"


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
        refresh_token = body_field(request, "refreshToken")
        if refresh_token is None:
            refresh_token = cookie_token
        if refresh_token is None:
            raise RefreshTokenRequired()
        found = None
        if isinstance(refresh_token, str):
            try:
                found = Session.objects.for_refresh_token(refresh_token)
            except RefreshTokenReused:
                raise RefreshTokenUnknown() from None
        if found is None:
            raise RefreshTokenUnknown()
        session, is_current = found
        if session.is_revoked or not session.user.is_active:
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
        refresh_token = body_field(request, "refreshToken") or cookie_token
        if isinstance(refresh_token, str) and refresh_token:
            sessions |= Session.objects.with_refresh_token(refresh_token)
        if wants_all(body_field(request, "all")):
            # Evaluated first: MySQL cannot UPDATE a table filtered by a subquery on itself.
            user_ids = set(sessions.live().values_list("user_id", flat=True))
            sessions = Session.objects.filter(user__in=user_ids)
        revoked = sessions.revoke()
        if revoked:
            log_event("session_revoked", request, reason="signout", sessions=revoked)
        return cookies.clear_token_cookies(Response({"message": SIGNED_OUT}), request)


def wants_all(value):
    """``all`` as DRF's ``BooleanField`` reads it (``true``, ``"true"``, ``1``, ...); anything else is no."""
    try:
        return BooleanField().run_validation(value) is True
    except exceptions.ValidationError:
        return False


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
        current = current_session(request)
        sessions = request.user.sessions.live().order_by("-created_at", "-pk")
        return Response(
            [
                {
                    "id": session.pk,
                    "createdAt": session.created_at,
                    "lastUsedAt": session.last_used_at or session.created_at,
                    "expiresAt": session.expires_at,
                    "userAgent": session.user_agent,
                    "current": session == current,
                }
                for session in sessions
            ]
        )


@extend_schema(
    summary="Revoke one of the caller's sessions",
    parameters=[OpenApiParameter("session_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    responses={
        200: message_response(SESSION_REVOKED),
        **api_errors(*TOKEN_ERRORS, (404, "Not found."), *DATABASE_ERRORS),
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

    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = request.user
        throttle = FailedSigninThrottle(username=user.username)
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        if not user.check_password(serializer.validated_data["oldPassword"]):
            log_event("password_change_failed", request, user=user.pk)
            raise exceptions.ValidationError({"oldPassword": [OLD_PASSWORD_INCORRECT]})
        throttle.refund(request, self)
        current = current_session(request)
        with transaction.atomic():
            # Conditional: the session may have been revoked or evicted since authentication.
            if not Session.objects.filter(pk=current.pk, expires_at__gt=timezone.now()).revoke():
                raise Unauthorized()
            session, refresh_token = Session.objects.start(
                user, user_agent(request), expires_at=current.expires_at
            )
            user.set_password(serializer.validated_data["newPassword"])
            user.keep_session_id = session.pk
            user.save(update_fields=["password"])
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
