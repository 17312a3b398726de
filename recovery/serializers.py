"""Request and response bodies of the recovery endpoints (strict types, readable messages)."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import EMAIL_MAX_LENGTH, PasswordField, StrictCharField, StrictEmailField, field_messages

from .tokens import MAX_TOKEN_LENGTH


def email_field(label="Email"):
    return StrictEmailField(
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            **field_messages(label, EMAIL_MAX_LENGTH),
            "invalid": f"{label} must be a valid email address.",
        },
    )


def token_field(label):
    return StrictCharField(max_length=MAX_TOKEN_LENGTH, error_messages=field_messages(label, MAX_TOKEN_LENGTH))


def validate_new_password(password, user):
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise serializers.ValidationError({"newPassword": error.messages}) from None


class ForgotSerializer(serializers.Serializer):
    """``POST /api/auth/password/forgot``."""

    email = email_field()


class ResetLinkSerializer(serializers.Serializer):
    """``POST /api/auth/password/reset/verify``: the two parts of a reset link."""

    uid = token_field("uid")
    token = token_field("Token")


class ResetSerializer(ResetLinkSerializer):
    """``POST /api/auth/password/reset``: the link and the new password (the validators apply)."""

    newPassword = PasswordField(label="New password")  # noqa: N815 (the wire name)


class EmailTokenSerializer(serializers.Serializer):
    """``POST /api/auth/email/verify``."""

    token = token_field("Token")


class EmailChangeSerializer(serializers.Serializer):
    """``POST /api/auth/email``: the caller's password and the new address."""

    password = PasswordField()
    newEmail = email_field("New email")  # noqa: N815

    def validate_newEmail(self, value):  # noqa: N802
        return User.objects.normalize_email(value)
