"""
The recovery endpoints under ``/api/auth/``: ``password/forgot``, ``password/reset/verify``,
``password/reset``, ``email/verify``, ``email/verify/resend``, ``email``. Mail is only ever queued
(``recovery.services``), so no response waits for, or reveals anything through, mail delivery.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.api import PublicAPIView, SignedInAPIView
from accounts.messages import (
    ALREADY_VERIFIED,
    EMAIL_CHANGE_SENT,
    EMAIL_TAKEN,
    EMAIL_VERIFIED,
    INVALID_LINK,
    LINK_VALID,
    PASSWORD_INCORRECT,
    PASSWORD_RESET,
    RESET_LINK_SENT,
    SAME_EMAIL,
    VERIFICATION_SENT,
)
from accounts.models import identity_key
from accounts.schema import THROTTLED, TOKEN_ERRORS, invalid_field, message_response
from accounts.security import log_event
from accounts.throttling import PasswordConfirmationThrottle
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors

from . import services
from .serializers import (
    EmailChangeSerializer,
    EmailTokenSerializer,
    ForgotSerializer,
    ResetLinkSerializer,
    ResetSerializer,
    validate_new_password,
)
from .throttling import (
    EmailChangeThrottle,
    EmailResendThrottle,
    EmailVerifyIPThrottle,
    ForgotEmailThrottle,
    ForgotIPThrottle,
    ResetIPThrottle,
)
from .tokens import read_email_token, reset_user


class InvalidLink(exceptions.ValidationError):
    """400 ``Invalid or expired link!`` (no ``errors``: which part is wrong is nobody's business)."""

    def __init__(self):
        super().__init__(INVALID_LINK)


class Rejected(exceptions.APIException):
    status_code = 400


@extend_schema(
    summary="Ask for a password reset link by email",
    description="Always the same answer, whether or not an account has the address; the mail is sent "
    "after the response, by the mail worker, and only to an active account with a usable password.",
    request=ForgotSerializer,
    responses={
        200: message_response(RESET_LINK_SENT),
        **api_errors(
            invalid_field("email", "Email must be a valid email address."), *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS
        ),
    },
)
class ForgotPasswordView(PublicAPIView):
    throttle_classes = [ForgotIPThrottle, ForgotEmailThrottle]

    def post(self, request):
        serializer = ForgotSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.request_password_reset(serializer.validated_data["email"])
        return Response({"message": RESET_LINK_SENT})


@extend_schema(
    summary="Check a password reset link before showing a form",
    request=ResetLinkSerializer,
    responses={
        200: message_response(LINK_VALID),
        **api_errors(
            (400, INVALID_LINK), invalid_field("uid", "uid is required."), *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS
        ),
    },
)
class ResetVerifyView(PublicAPIView):
    throttle_classes = [ResetIPThrottle]

    def post(self, request):
        serializer = ResetLinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if reset_user(**serializer.validated_data) is None:
            raise InvalidLink()
        return Response({"message": LINK_VALID})


@extend_schema(
    summary="Set a new password from a reset link",
    description="The link then stops working, every session of the user is revoked, the failed sign-ins "
    "counted on the account are forgotten, and a notice goes to the account's address.",
    request=ResetSerializer,
    responses={
        200: message_response(PASSWORD_RESET),
        **api_errors(
            (400, INVALID_LINK),
            invalid_field("newPassword", "This password is too common."),
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
class ResetPasswordView(PublicAPIView):
    throttle_classes = [ResetIPThrottle]

    def post(self, request):
        serializer = ResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        uid, token, password = (serializer.validated_data[key] for key in ("uid", "token", "newPassword"))
        user = reset_user(uid, token)
        if user is None:
            raise InvalidLink()
        validate_new_password(password, user)
        try:
            services.reset_with_link(user, token, password)
        except services.LinkInvalid:
            raise InvalidLink() from None
        return Response({"message": PASSWORD_RESET})


@extend_schema(
    summary="Confirm an email address (or an email change) from its link",
    request=EmailTokenSerializer,
    responses={
        200: message_response(EMAIL_VERIFIED),
        **api_errors((400, INVALID_LINK), (400, EMAIL_TAKEN), *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS),
    },
)
class EmailVerifyView(PublicAPIView):
    throttle_classes = [EmailVerifyIPThrottle]

    def post(self, request):
        serializer = EmailTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        confirm(serializer.validated_data["token"])
        return Response({"message": EMAIL_VERIFIED})


def confirm(token):
    """Apply an email token; 400 ``Invalid or expired link!`` or ``Failed! Email is already in use!``."""
    found = read_email_token(token)
    if found is None:
        raise InvalidLink()
    try:
        if not services.confirm_email(*found):
            raise InvalidLink()
    except services.EmailTaken:
        raise Rejected(EMAIL_TAKEN) from None


@extend_schema(
    summary="Send the caller's email verification link again",
    request=None,
    responses={
        200: message_response(VERIFICATION_SENT),
        **api_errors((400, ALREADY_VERIFIED), *TOKEN_ERRORS, *THROTTLED, *DATABASE_ERRORS),
    },
)
class EmailResendView(SignedInAPIView):
    throttle_classes = [EmailResendThrottle]

    def check_throttles(self, request):
        # An already verified address is answered before it is counted.
        if request.user.email_verified:
            raise Rejected(ALREADY_VERIFIED)
        super().check_throttles(request)

    def post(self, request):
        services.send_verification(request.user)
        return Response({"message": VERIFICATION_SENT})


@extend_schema(
    summary="Change the caller's email address (after confirmation from the new address)",
    description="The address changes only when the link sent to the new address is followed; the old "
    "address then gets a notice. Taken addresses are refused as at signup.",
    request=EmailChangeSerializer,
    responses={
        200: message_response(EMAIL_CHANGE_SENT),
        **api_errors(
            invalid_field("password", PASSWORD_INCORRECT),
            invalid_field("newEmail", "New email must be a valid email address."),
            (400, SAME_EMAIL),
            (400, EMAIL_TAKEN),
            *TOKEN_ERRORS,
            *BODY_ERRORS,
            *THROTTLED,
            *DATABASE_ERRORS,
        ),
    },
)
class EmailChangeView(SignedInAPIView):
    # A wrong password counts as a failed sign-in on the account (as a password change does).
    throttle_classes = [PasswordConfirmationThrottle]

    def post(self, request):
        serializer = EmailChangeSerializer(data=request.data)
        if not serializer.is_valid():
            self.refund(PasswordConfirmationThrottle)  # no password was checked
            raise exceptions.ValidationError(serializer.errors)
        user, new_email = request.user, serializer.validated_data["newEmail"]
        if not user.check_password(serializer.validated_data["password"]):
            log_event("email_change_failed", request, user=user.pk)
            raise exceptions.ValidationError({"password": [PASSWORD_INCORRECT]})
        self.refund(PasswordConfirmationThrottle)
        if identity_key(new_email) == identity_key(user.email):
            raise Rejected(SAME_EMAIL)
        sends = EmailChangeThrottle()
        if not sends.allow_request(request, self):
            self.throttled(request, sends.wait())
        try:
            services.request_email_change(user, new_email)
        except services.EmailTaken:
            sends.refund(request, self)
            raise Rejected(EMAIL_TAKEN) from None
        return Response({"message": EMAIL_CHANGE_SENT})
