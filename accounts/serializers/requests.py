"""
Request bodies of the auth endpoints (their fields: ``accounts.fields``). The views validate their
bodies with these: none is documentation only.
"""

from collections.abc import Mapping

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, serializers

from ..fields import (
    EMAIL_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    LenientBooleanField,
    PasswordField,
    PresentedTokenField,
    StrictCharField,
    StrictEmailField,
    field_messages,
    password_field,
    username_field,
)
from ..messages import EMAIL_TAKEN, REQUIRE_ADMIN_ROLE, ROLE_DOES_NOT_EXIST, USERNAME_TAKEN
from ..models import PROXY_NAMESPACE_MARK, Role, User, identity_key_fits

USERNAME_RESERVED = 'Username may not contain "@": such names are reserved for single sign-on users.'
# Names are unique under their NFKC + casefold key, which some characters lengthen many times.
KEY_TOO_LONG = "{label} is too long once normalised (some of its characters expand)."


class SignupRejected(exceptions.APIException):
    """A well-formed sign-up that cannot be accepted: 400 with the tutorial's message, no ``errors``."""

    status_code = 400
    default_code = "signup_rejected"


class SignupSerializer(serializers.Serializer):
    """
    ``POST /api/auth/signup``. After field validation (password validators included) the checks
    run in the contract's order, first failure wins: username taken, email taken, unknown role,
    roles beyond ``user`` without an authenticated admin (403).
    """

    username = username_field()
    email = StrictEmailField(
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            **field_messages("Email", EMAIL_MAX_LENGTH),
            "invalid": "Email must be a valid email address.",
        },
    )
    password = password_field()
    roles = serializers.ListField(
        child=StrictCharField(error_messages=field_messages("Each role")),
        required=False,
        allow_null=True,
        max_length=10,
        error_messages={
            "not_a_list": "Roles must be a list of role names.",
            "max_length": "Roles may list at most 10 role names.",
        },
    )

    def validate_username(self, value):
        value = User.normalize_username(value)
        if len(value) > USERNAME_MAX_LENGTH:  # NFKC can expand: "ﬃ" is "ffi"
            raise serializers.ValidationError(self.fields["username"].error_messages["max_length"])
        if not identity_key_fits(value, "username_key"):
            raise serializers.ValidationError(KEY_TOO_LONG.format(label="Username"))
        try:
            UnicodeUsernameValidator()(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        if PROXY_NAMESPACE_MARK in value:
            raise serializers.ValidationError(USERNAME_RESERVED)
        return value

    def validate_email(self, value):
        if not identity_key_fits(value, "email_key"):
            raise serializers.ValidationError(KEY_TOO_LONG.format(label="Email"))
        return value

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": error.messages}) from None
        self.reject_taken(attrs["username"], attrs["email"])
        attrs["roles"] = self.resolve_roles(attrs.get("roles"))
        self.check_role_policy(attrs["roles"])
        return attrs

    def reject_taken(self, username, email):
        if User.objects.with_username(username).exists():
            raise SignupRejected(USERNAME_TAKEN)
        if User.objects.with_email(email).exists():
            raise SignupRejected(EMAIL_TAKEN)

    def resolve_roles(self, names):
        """The requested roles (names compared exactly); no list, or an empty one, means ``user``."""
        roles = {role.name: role for role in Role.objects.all()}
        if not names:
            names = [Role.USER]
        resolved = []
        for name in dict.fromkeys(names):
            if name not in roles:
                raise SignupRejected(ROLE_DOES_NOT_EXIST.format(name=name))
            resolved.append(roles[name])
        return resolved

    def check_role_policy(self, roles):
        """Only an authenticated admin may create users with roles beyond ``user``."""
        if all(role.name == Role.USER for role in roles):
            return
        caller = self.context["request"].user
        if not (caller.is_authenticated and caller.has_role(Role.ADMIN)):
            raise exceptions.PermissionDenied(REQUIRE_ADMIN_ROLE)

    def create(self, validated_data):
        try:
            return User.objects.create_user(**validated_data)
        except IntegrityError:
            # A concurrent sign-up took the name between our check and the insert: now it shows.
            self.reject_taken(validated_data["username"], validated_data["email"])
            raise


class SigninSerializer(serializers.Serializer):
    """``POST /api/auth/signin``: the credentials, checked by ``django.contrib.auth.authenticate``."""

    username = username_field()
    password = password_field()


class PasswordChangeSerializer(serializers.Serializer):
    """
    ``POST /api/auth/password``: ``oldPassword`` must be the caller's password (else 400
    ``Old password is incorrect!``), ``newPassword`` must pass the password validators.
    """

    oldPassword = PasswordField(label="Old password")  # noqa: N815 (the wire name)
    newPassword = PasswordField(label="New password")  # noqa: N815

    def validate_newPassword(self, value):  # noqa: N802
        try:
            password_validation.validate_password(value, user=self.context["request"].user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value


class LenientSerializer(serializers.Serializer):
    """A body whose fields refuse nothing (``accounts.fields``' lenient fields): ``read`` it."""

    @classmethod
    def read(cls, data):
        """The body's fields; a body that is no object reads as one without any."""
        serializer = cls(data=data if isinstance(data, Mapping) else {})
        serializer.is_valid(raise_exception=True)  # its fields refuse nothing
        return serializer.validated_data


class RefreshTokenSerializer(LenientSerializer):
    """
    ``POST /api/auth/refreshtoken``: the body's ``refreshToken`` (without it, the refresh cookie).
    Never a 400: every refresh failure is a 403 with the tutorial's message, so a value that is no
    string reads as a token no session has.
    """

    refreshToken = PresentedTokenField()  # noqa: N815 (the wire name)


class SignoutSerializer(LenientSerializer):
    """``POST /api/auth/signout``: the refresh token is optional (the access token may do)."""

    refreshToken = PresentedTokenField(required=False)  # noqa: N815
    all = LenientBooleanField(required=False, help_text="Revoke every session of the user.")
