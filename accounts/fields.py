"""
The strict fields of the auth endpoints' bodies, shared by every app's serializers, and the one
cleaning of a username (``clean_username``) that sign-in and the per-account throttle share.

Fields are strict: a number, list, object or null where a string belongs is a 400, never coerced.
Every field error reads on its own ("Username is required."), because the first one becomes the
response's ``message``.
"""

from rest_framework import exceptions, serializers
from rest_framework.fields import empty

USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254
PASSWORD_MAX_LENGTH = 4096

def field_messages(label, max_length=None):
    messages = {
        "required": f"{label} is required.",
        "null": f"{label} is required.",
        "blank": f"{label} may not be blank.",
        "not_a_string": f"{label} must be a string.",
    }
    if max_length is not None:
        messages["max_length"] = f"{label} must be at most {max_length} characters."
    return messages


class StrictCharMixin:
    """Refuse anything but a string, where DRF's CharField would turn ``42`` into ``"42"``."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(StrictCharMixin, serializers.CharField):
    pass


class StrictEmailField(StrictCharMixin, serializers.EmailField):
    pass


def username_field():
    return StrictCharField(
        max_length=USERNAME_MAX_LENGTH,
        error_messages=field_messages("Username", USERNAME_MAX_LENGTH),
    )


class PasswordField(StrictCharField):
    """
    A password: at most ``PASSWORD_MAX_LENGTH`` characters and as many UTF-8 bytes, checked before
    anything hashes it (hashing an overlong password would be a cheap way to burn server CPU).
    """

    def __init__(self, label="Password", **kwargs):
        super().__init__(
            max_length=PASSWORD_MAX_LENGTH,
            trim_whitespace=False,
            error_messages={
                **field_messages(label, PASSWORD_MAX_LENGTH),
                "too_many_bytes": f"{label} must be at most {PASSWORD_MAX_LENGTH} bytes.",
            },
            **kwargs,
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # Over the character limit reads as that (the max_length validator runs next).
        if len(value) <= PASSWORD_MAX_LENGTH < len(value.encode("utf-8", "surrogatepass")):
            self.fail("too_many_bytes")
        return value


def password_field():
    return PasswordField()




def clean_username(value):
    """
    ``value`` as the sign-in body's ``username`` field cleans it (whitespace stripped); raises
    DRF's ``ValidationError`` where that field would refuse it.
    """
    return username_field().run_validation(value)


class LenientFieldMixin:
    """
    A field of a body the endpoint never refuses with a 400 (``LenientSerializer``): it reads
    whatever a JSON or form body holds under its name, absent or not.
    """

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)


class PresentedTokenField(LenientFieldMixin, serializers.CharField):
    """
    A token as a client presents it, for endpoints whose every failure is the tutorial's 403:
    absent or null reads as None (another source may supply one), a string as it is (blank
    included), and anything else as ``""``, a token no session has.
    """

    def run_validation(self, data=empty):
        if data is empty or data is None:
            return None
        return data if isinstance(data, str) else ""


class LenientBooleanField(LenientFieldMixin, serializers.BooleanField):
    """A flag as DRF's ``BooleanField`` reads it (``true``, ``"true"``, ``1``, ...); anything else is no."""

    def run_validation(self, data=empty):
        try:
            return serializers.BooleanField().run_validation(None if data is empty else data) is True
        except exceptions.ValidationError:
            return False
