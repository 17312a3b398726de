"""
The passkey endpoints under ``/api/auth/passkeys``: registration and management for a signed-in
user, and passwordless sign-in. ``signin/begin`` with the ``mfaToken`` of a password step gives
the options of that sign-in's second step instead (``mfa.views.MfaSigninView`` completes it).
Each view composes ``passkeys.ceremonies`` (what is checked), ``passkeys.emails.notify`` (notice
+ log line) and accounts' sign-in (``open_session`` + ``signin_response``, so cookie mode applies
as on password sign-in).

Throttling: both sign-in steps count in the per-address sign-in throttle (``signin_ip``), as
password sign-ins do. A failed passwordless assertion is not counted on an account
(``signin_user``): an assertion cannot be guessed, and a 429 for one account but not another
would tell which credential ids exist. Likewise every failed sign-in answers the same 401. (A
failed second step does count on its account: the password already named it.)
"""

from django.conf import settings
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts import cookies
from accounts.api import PublicAPIView, SignedInAPIView
from accounts.messages import (
    EMAIL_NOT_VERIFIED,
    MFA_TOKEN_INVALID,
    PASSKEY_ALREADY_REGISTERED,
    PASSKEY_CHALLENGE_INVALID,
    PASSKEY_DELETED,
    PASSKEY_REGISTRATION_FAILED,
    PASSKEY_SIGNIN_FAILED,
)
from accounts.origins import OriginNotAllowed
from accounts.schema import THROTTLED, TOKEN_ERRORS, invalid_field, message_response
from accounts.security import log_event
from accounts.serializers import SigninFailedSerializer, SigninResponseSerializer
from accounts.signin import open_session, signin_response
from accounts.throttling import SigninIPThrottle
from accounts.views import EmailNotVerified
from authsite.reporting import takes_secrets
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors
from mfa import pending
from mfa.serializers import MfaTokenSerializer
from mfa.views import MfaTokenInvalid

from . import ceremonies
from .emails import notify
from .serializers import (
    PasskeyNameSerializer,
    PasskeySerializer,
    RegisterCompleteSerializer,
    SigninCompleteSerializer,
)

OPTIONS = {200: OpenApiTypes.OBJECT}
PASSKEY_ID = [OpenApiParameter("passkey_id", OpenApiTypes.INT, OpenApiParameter.PATH)]


@extend_schema(
    summary="Passkey registration, step 1: options (JSON) for navigator.credentials.create()",
    request=None,
    responses={**OPTIONS, **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS)},
)
class RegisterBeginView(SignedInAPIView):
    def post(self, request):
        return Response(ceremonies.registration_options(request.user))


@extend_schema(
    summary="Passkey registration, step 2: verify the new credential and store it",
    request=RegisterCompleteSerializer,
    responses={
        200: PasskeySerializer,
        **api_errors(
            invalid_field("credential", "This field is required."),
            (400, PASSKEY_CHALLENGE_INVALID),
            (400, PASSKEY_REGISTRATION_FAILED),
            (400, PASSKEY_ALREADY_REGISTERED),
            *TOKEN_ERRORS,
            *BODY_ERRORS,
            *DATABASE_ERRORS,
        ),
    },
)
class RegisterCompleteView(SignedInAPIView):
    def post(self, request):
        serializer = RegisterCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            verified = ceremonies.verify_registration(request.user, serializer.validated_data["credential"])
            with transaction.atomic():  # the passkey and its notice, or neither
                passkey = ceremonies.save_passkey(request.user, verified, serializer.validated_data["name"])
                notify("passkey_added", request, passkey)
        except ceremonies.PasskeyRefused as refused:
            log_event("passkey_registration_failed", request, user=request.user.pk,
                      reason=refused.reason, detail=refused.detail)
            raise RegistrationRefused(refused) from None
        return Response(PasskeySerializer(passkey).data)


class RegistrationRefused(exceptions.APIException):
    """400 with one message (no ``errors``): the challenge, the credential, or a duplicate."""

    status_code = 400

    def __init__(self, refused):
        messages = {"challenge": PASSKEY_CHALLENGE_INVALID, "duplicate": PASSKEY_ALREADY_REGISTERED}
        super().__init__(messages.get(refused.reason, PASSKEY_REGISTRATION_FAILED))


@extend_schema(
    summary="The caller's passkeys, oldest first",
    responses={200: PasskeySerializer(many=True), **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS)},
)
class PasskeyListView(SignedInAPIView):
    def get(self, request):
        return Response(PasskeySerializer(request.user.passkeys.all(), many=True).data)


@extend_schema(parameters=PASSKEY_ID)
class PasskeyDetailView(SignedInAPIView):
    """Rename (PATCH ``{name}``) or delete one of the caller's passkeys; another user's is 404."""

    def get_object(self):
        return get_object_or_404(self.request.user.passkeys.select_related("user"), pk=self.kwargs["passkey_id"])

    @extend_schema(
        summary="Rename one of the caller's passkeys",
        request=PasskeyNameSerializer,
        responses={
            200: PasskeySerializer,
            **api_errors(invalid_field("name", "This field is required."), *TOKEN_ERRORS, (404, "Not found."),
                         *BODY_ERRORS, *DATABASE_ERRORS),
        },
    )
    def patch(self, request, passkey_id):
        passkey = self.get_object()
        serializer = PasskeyNameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        passkey.name = serializer.validated_data["name"]
        passkey.save(update_fields=["name"])
        return Response(PasskeySerializer(passkey).data)

    @extend_schema(
        summary="Delete one of the caller's passkeys (a notice goes to the account's address)",
        responses={200: message_response(PASSKEY_DELETED),
                   **api_errors(*TOKEN_ERRORS, (404, "Not found."), *DATABASE_ERRORS)},
    )
    def delete(self, request, passkey_id):
        passkey = self.get_object()
        with transaction.atomic():
            notify("passkey_removed", request, passkey)
            passkey.delete()
        return Response({"message": PASSKEY_DELETED})


@extend_schema(
    summary="Passkey sign-in, step 1: options (JSON) for navigator.credentials.get()",
    description="Without a body: passwordless sign-in (any discoverable credential; step 2 is "
    "signin/complete). With the password step's {mfaToken}: the second step of that sign-in (the "
    "account's passkeys only; step 2 is POST /api/auth/signin/mfa {mfaToken, credential}).",
    request=MfaTokenSerializer,
    responses={
        **OPTIONS,
        **api_errors(
            (401, MFA_TOKEN_INVALID), invalid_field("mfaToken", "Ensure this field has no more than 200 characters."),
            *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS,
        ),
    },
)
class SigninBeginView(PublicAPIView):
    throttle_classes = [SigninIPThrottle]

    def post(self, request):
        serializer = MfaTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if "mfaToken" not in serializer.validated_data:
            return Response(ceremonies.authentication_options())
        user = pending.peek(serializer.validated_data["mfaToken"])  # no effect: signin/mfa redeems it
        if user is None:
            raise MfaTokenInvalid()
        return Response(ceremonies.authentication_options(user))


@extend_schema(
    summary="Passkey sign-in, step 2: the signed assertion → the sign-in body (as /api/auth/signin)",
    request=SigninCompleteSerializer,
    responses={
        200: SigninResponseSerializer,
        **api_errors((401, {"accessToken": None, "message": PASSKEY_SIGNIN_FAILED}), serializer=SigninFailedSerializer),
        **api_errors(
            invalid_field("credential", "This field is required."),
            (403, EMAIL_NOT_VERIFIED),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class SigninCompleteView(PublicAPIView):
    throttle_classes = [SigninIPThrottle]

    def post(self, request):
        if cookies.refuses_signin(request):  # login CSRF, as on password sign-in
            raise OriginNotAllowed()
        serializer = SigninCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            passkey = ceremonies.verify_assertion(serializer.validated_data["credential"])
        except ceremonies.PasskeyRefused as refused:
            stale = isinstance(refused, ceremonies.StaleSignCount)
            event = "passkey_clone_suspected" if stale else "passkey_signin_failed"
            log_event(event, request, reason=refused.reason, detail=refused.detail)
            return Response({"accessToken": None, "message": PASSKEY_SIGNIN_FAILED}, status=401)
        user = passkey.user
        if not user.is_active:
            log_event("passkey_signin_failed", request, reason="inactive", user=user.pk)
            return Response({"accessToken": None, "message": PASSKEY_SIGNIN_FAILED}, status=401)
        if settings.EMAIL_VERIFICATION == "mandatory" and not user.email_verified:
            raise EmailNotVerified()
        session, refresh_token = open_session(request, user)
        log_event("passkey_signin", request, user=user.pk, passkey=passkey.pk)
        return signin_response(user, session, refresh_token)
