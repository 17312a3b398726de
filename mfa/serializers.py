"""Request and response bodies of the second-factor endpoints (API.md's names: camelCase)."""

from rest_framework import serializers

# Longest code accepted: a recovery code with separators and spaces fits easily.
CODE_MAX_LENGTH = 64


class TOTPCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH, trim_whitespace=True)


class PasswordOrCodeSerializer(serializers.Serializer):
    """``{password}`` or ``{code}`` (an authenticator or recovery code): proof for a sensitive change."""

    password = serializers.CharField(required=False, max_length=4096, trim_whitespace=False)
    code = serializers.CharField(required=False, max_length=CODE_MAX_LENGTH)


class MfaSigninSerializer(serializers.Serializer):
    """The second step: the password step's ``mfaToken`` with ``code`` or ``credential`` (one of them)."""

    mfaToken = serializers.CharField(max_length=200)  # noqa: N815 (the wire name)
    code = serializers.CharField(
        max_length=CODE_MAX_LENGTH, required=False, help_text="An authenticator app's code or a recovery code."
    )
    credential = serializers.JSONField(
        required=False,
        help_text="A passkey's assertion: what navigator.credentials.get() returned for the options of "
        "POST /api/auth/passkeys/signin/begin {mfaToken}, as PublicKeyCredential.toJSON() writes it.",
    )


class MfaTokenSerializer(serializers.Serializer):
    """``{mfaToken}``: the passkey options of a second step (``passkeys/signin/begin``)."""

    mfaToken = serializers.CharField(max_length=200, required=False)  # noqa: N815 (the wire name)


class SetupResponseSerializer(serializers.Serializer):
    otpauthUri = serializers.CharField(help_text="otpauth://totp/... for authenticator apps")  # noqa: N815
    qrCode = serializers.CharField(help_text="The URI's QR code, an SVG data: URI")  # noqa: N815
    secret = serializers.CharField(help_text="The base32 secret, for typing into an app")


class RecoveryCodesSerializer(serializers.Serializer):
    message = serializers.CharField()
    recoveryCodes = serializers.ListField(child=serializers.CharField())  # noqa: N815


class SecondFactorRequiredSerializer(serializers.Serializer):
    message = serializers.CharField()
    mfaToken = serializers.CharField()  # noqa: N815
    methods = serializers.ListField(child=serializers.CharField())


class SetupRequiredSerializer(serializers.Serializer):
    message = serializers.CharField()
    setupToken = serializers.CharField()  # noqa: N815
