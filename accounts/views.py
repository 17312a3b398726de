"""
The auth endpoints: ``/api/auth/signup``, ``signin``, ``refreshtoken``, ``signout``; and the public
keys of authsite's own tokens, ``/.well-known/jwks.json``.
"""

from django.contrib.auth import authenticate
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from .authentication import IgnoreFailures
from .models import Session, User
from .serializers import SigninSerializer, SignupSerializer
from .tokens import SESSION_ID_CLAIM, AccessToken, token_backend

INVALID_CREDENTIALS = "Invalid username or password!"


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


class SignupView(PublicAPIView):
    def post(self, request):
        serializer = SignupSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response({"message": "User registered successfully!"})


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


class SignoutView(PublicAPIView):
    """Revoke the session of the given refresh token and of the presented access token."""

    def post(self, request):
        refresh_token = body_field(request, "refreshToken")
        if isinstance(refresh_token, str) and refresh_token:
            Session.objects.with_refresh_token(refresh_token).revoke()
        if isinstance(request.auth, AccessToken):  # not a proxy assertion
            Session.objects.filter(
                pk=request.auth.get(SESSION_ID_CLAIM), user=request.user
            ).revoke()
        return Response({"message": "You've been signed out!"})


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
