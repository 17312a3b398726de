"""The auth endpoints: ``/api/auth/signup``, ``signin``, ``refreshtoken``, ``signout``."""

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors

from .authentication import IgnoreFailures
from .models import Session, User
from .schema import OPTIONAL_TOKEN
from .serializers import (
    EMAIL_TAKEN,
    REQUIRE_ADMIN_ROLE,
    ROLE_DOES_NOT_EXIST,
    USERNAME_TAKEN,
    MessageSerializer,
    RefreshTokenResponseSerializer,
    RefreshTokenSerializer,
    SigninFailedSerializer,
    SigninResponseSerializer,
    SigninSerializer,
    SignoutSerializer,
    SignupSerializer,
)
from .tokens import SESSION_ID_CLAIM, AccessToken

INVALID_CREDENTIALS = "Invalid username or password!"
SIGNED_UP = "User registered successfully!"
SIGNED_OUT = "You've been signed out!"


def message_response(message):
    """A documented 200 ``{"message": message}``."""
    return OpenApiResponse(
        MessageSerializer, examples=[OpenApiExample("success", value={"message": message})]
    )


def invalid_field(field, message):
    """A documented validation error: ``message`` for ``field``, also as the top-level message."""
    return (400, {"message": message, "errors": {field: [message]}})


@extend_schema(auth=OPTIONAL_TOKEN)
class PublicAPIView(APIView):
    """
    An endpoint that needs no token. A missing, invalid or expired token makes the caller
    anonymous, never a 401: the refresh-flow clients send their expired access token with the
    very requests that get them a new one. Authentication is lazy: a token is only checked if
    the view asks who the caller is.
    """

    def get_authenticators(self):
        return [IgnoreFailures(authenticator) for authenticator in super().get_authenticators()]

    def perform_authentication(self, request):
        pass


def body_field(request, name):
    """``name`` from a JSON object or form body; None when absent or when the body is no object."""
    data = request.data
    return data.get(name) if hasattr(data, "get") else None


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
            *DATABASE_ERRORS,
        ),
    },
)
class SignupView(PublicAPIView):
    def post(self, request):
        serializer = SignupSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
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
            *BODY_ERRORS,
            *DATABASE_ERRORS,
        ),
    },
)
class SigninView(PublicAPIView):
    def post(self, request):
        serializer = SigninSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One answer for unknown usernames, wrong passwords and inactive accounts; Django's
        # ModelBackend hashes the password for unknown usernames too, so timing tells nothing.
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            return Response({"accessToken": None, "message": INVALID_CREDENTIALS}, status=401)
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        session, refresh_token = Session.objects.start(user)
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "email": user.email,
                "roles": [role.authority for role in user.roles.all()],
                "accessToken": str(AccessToken.for_session(session)),
                "refreshToken": refresh_token,
                "tokenType": "Bearer",
            }
        )


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
            *DATABASE_ERRORS,
        ),
    },
)
class RefreshTokenView(PublicAPIView):
    """A new access token for a live session; the same refresh token is returned and stays valid."""

    def post(self, request):
        refresh_token = body_field(request, "refreshToken")
        if refresh_token is None:
            raise RefreshTokenRequired()
        session = None
        if isinstance(refresh_token, str):
            session = (
                Session.objects.select_related("user").with_refresh_token(refresh_token).first()
            )
        if session is None or session.is_revoked or not session.user.is_active:
            raise RefreshTokenUnknown()
        if session.is_expired:
            raise RefreshTokenExpired()
        access_token = AccessToken.for_session(session)
        return Response({"accessToken": str(access_token), "refreshToken": refresh_token})


@extend_schema(
    summary="Sign out: revoke the session",
    request=SignoutSerializer,
    responses={200: message_response(SIGNED_OUT), **api_errors(*BODY_ERRORS, *DATABASE_ERRORS)},
)
class SignoutView(PublicAPIView):
    """Revoke the session of the given refresh token and of the presented access token."""

    def post(self, request):
        refresh_token = body_field(request, "refreshToken")
        if isinstance(refresh_token, str) and refresh_token:
            Session.objects.with_refresh_token(refresh_token).revoke()
        if request.auth is not None:
            Session.objects.filter(
                pk=request.auth.get(SESSION_ID_CLAIM), user=request.user
            ).revoke()
        return Response({"message": SIGNED_OUT})
