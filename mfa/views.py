"""
The second-factor endpoints: ``POST /api/auth/mfa/totp/setup``, ``mfa/totp/confirm``,
``DELETE mfa/totp``, ``POST mfa/recovery-codes`` (signed in; setup and confirm also with the
restricted setup token) and ``POST /api/auth/signin/mfa`` (the second sign-in step).
Every response carries ``Cache-Control: no-store`` (``AuthAPIView``).

Length (~260 lines): as in ``accounts.views``, most of it is the ``extend_schema`` of every answer.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import cookies
from accounts.api import PublicAPIView, SignedInAPIView
from accounts.messages import (
    MFA_CODE_AND_CREDENTIAL,
    MFA_CODE_INVALID,
    MFA_CODE_OR_CREDENTIAL_REQUIRED,
    MFA_TOKEN_INVALID,
    PASSKEY_SIGNIN_FAILED,
    PASSWORD_OR_CODE_INCORRECT,
    PASSWORD_OR_CODE_REQUIRED,
    RECOVERY_CODES_REGENERATED,
    TOTP_ALREADY_ENABLED,
    TOTP_DISABLED,
    TOTP_ENABLED,
    TOTP_NOT_ENABLED,
    TOTP_NOT_SET_UP,
)
from accounts.origins import OriginNotAllowed
from accounts.permissions import current_session
from accounts.schema import THROTTLED, TOKEN_ERRORS, invalid_field, message_response
from accounts.security import log_event
from accounts.serializers import SigninResponseSerializer
from accounts.signin import open_session, signin_response
from accounts.throttling import FailedSigninThrottle, SigninIPThrottle, count_request
from authsite.reporting import takes_secrets
from authsite.schema import BODY_ERRORS, DATABASE_ERRORS, api_errors
from passkeys import ceremonies

from . import pending, services
from .authentication import SetupTokenAuthentication, SetupTokenInvalid
from .serializers import (
    MfaSigninSerializer,
    PasswordOrCodeSerializer,
    RecoveryCodesSerializer,
    SetupResponseSerializer,
    TOTPCodeSerializer,
)

SETUP_TOKEN_ERRORS = ((401, SetupTokenInvalid.default_detail),)


class CodeInvalid(exceptions.AuthenticationFailed):
    default_detail = MFA_CODE_INVALID


class MfaTokenInvalid(exceptions.AuthenticationFailed):
    default_detail = MFA_TOKEN_INVALID


class PasskeyInvalid(exceptions.AuthenticationFailed):
    default_detail = PASSKEY_SIGNIN_FAILED


def bad_request(message):
    return Response({"message": message}, status=400)


class SetupOrSignedInAPIView(SignedInAPIView):
    """Signed in with an access token, or holding the restricted setup token (``mfa.authentication``)."""

    authentication_classes = [SetupTokenAuthentication, *APIView.authentication_classes]


class ProofMixin:
    """``{password}`` or ``{code}`` from the owner, counted as sign-in failures on the account when wrong."""

    def check_proof(self, request):
        serializer = PasswordOrCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password, code = serializer.validated_data.get("password"), serializer.validated_data.get("code")
        if password is None and code is None:
            return bad_request(PASSWORD_OR_CODE_REQUIRED)
        account = FailedSigninThrottle(username=request.user.username)
        refused = count_request([account], request, self)
        if refused is not None:
            self.throttled(request, refused.wait())
        if not services.proves_owner(request.user, password=password, code=code):
            log_event("mfa_proof_failed", request, user=request.user.pk)
            return bad_request(PASSWORD_OR_CODE_INCORRECT)
        account.refund(request, self)
        return None


@extend_schema(
    summary="Start setting up an authenticator app (TOTP): a new secret",
    request=None,
    responses={
        200: SetupResponseSerializer,
        **api_errors((400, TOTP_ALREADY_ENABLED), *TOKEN_ERRORS, *SETUP_TOKEN_ERRORS, *DATABASE_ERRORS),
    },
)
class TOTPSetupView(SetupOrSignedInAPIView):
    def post(self, request):
        try:
            secret, uri, qr_code = services.start_setup(request.user)
        except services.AlreadyEnabled:
            return bad_request(TOTP_ALREADY_ENABLED)
        return Response({"otpauthUri": uri, "qrCode": qr_code, "secret": secret})


@extend_schema(
    summary="Turn the authenticator on with its current code: the recovery codes, shown once",
    request=TOTPCodeSerializer,
    responses={
        200: RecoveryCodesSerializer,
        **api_errors(
            (400, MFA_CODE_INVALID), (400, TOTP_NOT_SET_UP), (400, TOTP_ALREADY_ENABLED),
            invalid_field("code", "This field is required."),
            *BODY_ERRORS, *TOKEN_ERRORS, *SETUP_TOKEN_ERRORS, *DATABASE_ERRORS,
        ),
    },
)
class TOTPConfirmView(SetupOrSignedInAPIView):
    def post(self, request):
        serializer = TOTPCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            codes = services.confirm(
                request, request.user, serializer.validated_data["code"], keep_session=current_session(request)
            )
        except services.NotSetUp:
            return bad_request(TOTP_NOT_SET_UP)
        except services.AlreadyEnabled:
            return bad_request(TOTP_ALREADY_ENABLED)
        if codes is None:
            return bad_request(MFA_CODE_INVALID)
        return Response({"message": TOTP_ENABLED, "recoveryCodes": codes})


@extend_schema(
    summary="Turn the second factor off (with the password or a code)",
    request=PasswordOrCodeSerializer,
    responses={
        200: message_response(TOTP_DISABLED),
        **api_errors(
            (400, PASSWORD_OR_CODE_REQUIRED), (400, PASSWORD_OR_CODE_INCORRECT), (400, TOTP_NOT_ENABLED),
            *BODY_ERRORS, *TOKEN_ERRORS, *THROTTLED, *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class TOTPView(ProofMixin, SignedInAPIView):
    def delete(self, request):
        if not services.has_second_factor(request.user):
            return bad_request(TOTP_NOT_ENABLED)
        refused = self.check_proof(request)
        if refused is not None:
            return refused
        services.disable(request, request.user, keep_session=current_session(request))
        return Response({"message": TOTP_DISABLED})


@extend_schema(
    summary="New recovery codes (the old ones stop working), with the password or a code",
    request=PasswordOrCodeSerializer,
    responses={
        200: RecoveryCodesSerializer,
        **api_errors(
            (400, PASSWORD_OR_CODE_REQUIRED), (400, PASSWORD_OR_CODE_INCORRECT), (400, TOTP_NOT_ENABLED),
            *BODY_ERRORS, *TOKEN_ERRORS, *THROTTLED, *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class RecoveryCodesView(ProofMixin, SignedInAPIView):
    def post(self, request):
        if not services.has_second_factor(request.user):
            return bad_request(TOTP_NOT_ENABLED)
        refused = self.check_proof(request)
        if refused is not None:
            return refused
        codes = services.regenerate_recovery_codes(request, request.user)
        return Response({"message": RECOVERY_CODES_REGENERATED, "recoveryCodes": codes})


@extend_schema(
    summary="Sign in, second step: the mfaToken of the password step and a code or a passkey",
    request=MfaSigninSerializer,
    responses={
        200: SigninResponseSerializer,
        **api_errors(
            invalid_field("mfaToken", "This field is required."),
            (400, MFA_CODE_OR_CREDENTIAL_REQUIRED), (400, MFA_CODE_AND_CREDENTIAL),
            (401, MfaTokenInvalid.default_detail), (401, CodeInvalid.default_detail),
            (401, PasskeyInvalid.default_detail),
            (403, OriginNotAllowed.default_detail), *BODY_ERRORS, *THROTTLED, *DATABASE_ERRORS,
        ),
    },
)
@takes_secrets
class MfaSigninView(PublicAPIView):
    """
    Redeem the password step's ``mfaToken`` (5 minutes, single use, dead once the password
    changes) with an authenticator code or a recovery code (``code``), or with an assertion of
    one of the account's passkeys (``credential``, for the options of ``passkeys/signin/begin``
    ``{mfaToken}``). A wrong code or a refused assertion counts as a failed sign-in on the
    account (``THROTTLE_SIGNIN_USER``: unlike passwordless sign-in, the account is known here,
    so counting tells nothing) and leaves the token usable until it expires.
    """

    throttle_classes = [SigninIPThrottle]

    def post(self, request):
        if cookies.refuses_signin(request):
            raise OriginNotAllowed()
        serializer = MfaSigninSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if ("code" in data) == ("credential" in data):
            return bad_request(MFA_CODE_AND_CREDENTIAL if "code" in data else MFA_CODE_OR_CREDENTIAL_REQUIRED)
        user = pending.peek(data["mfaToken"])
        if user is None:
            raise MfaTokenInvalid()
        account = FailedSigninThrottle(username=user.username)
        refused = count_request([account], request, self)
        if refused is not None:
            self.throttled(request, refused.wait())
        if "code" in data:
            if not services.check_second_factor(request, user, data["code"]):
                log_event("mfa_failed", request, user=user.pk)
                raise CodeInvalid()
        else:
            check_passkey(request, user, data["credential"])
        account.refund(request, self)
        user = pending.redeem(data["mfaToken"])
        if user is None:  # redeemed by a concurrent request
            raise MfaTokenInvalid()
        session, refresh_token = open_session(request, user)
        return signin_response(user, session, refresh_token)


def check_passkey(request, user, credential):
    """
    ``credential`` is an assertion of one of ``user``'s passkeys, for a challenge bound to ``user``
    (``passkeys.ceremonies``: the same checks as passwordless sign-in, sign counter included), or
    PasskeyInvalid; a stale counter is logged as ``passkey_clone_suspected``, as there.
    """
    try:
        passkey = ceremonies.verify_assertion(credential, user=user)
    except ceremonies.PasskeyRefused as refused:
        stale = isinstance(refused, ceremonies.StaleSignCount)
        event = "passkey_clone_suspected" if stale else "mfa_failed"
        log_event(event, request, user=user.pk, method="passkey", reason=refused.reason, detail=refused.detail)
        raise PasskeyInvalid() from None
    log_event("passkey_signin", request, user=user.pk, passkey=passkey.pk, step="mfa")
