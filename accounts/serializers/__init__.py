"""
The auth endpoints' serializers: request bodies in ``requests``, response bodies in
``responses`` (their fields: ``accounts.fields``). Everything is importable from here.
"""

from ..fields import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    PasswordField,
    StrictCharField,
    StrictCharMixin,
    StrictEmailField,
    field_messages,
    password_field,
    username_field,
)
from .requests import (
    KEY_TOO_LONG,
    USERNAME_RESERVED,
    PasswordChangeSerializer,
    RefreshTokenSerializer,
    SigninSerializer,
    SignoutSerializer,
    SignupRejected,
    SignupSerializer,
)
from .responses import (
    AUTHORITIES,
    JWKSSerializer,
    MeSerializer,
    MessageSerializer,
    PasswordChangedSerializer,
    RefreshTokenResponseSerializer,
    SessionSerializer,
    SigninFailedSerializer,
    SigninResponseSerializer,
    TokenPairSerializer,
)

__all__ = [
    "AUTHORITIES",
    "EMAIL_MAX_LENGTH",
    "KEY_TOO_LONG",
    "PASSWORD_MAX_LENGTH",
    "USERNAME_MAX_LENGTH",
    "USERNAME_RESERVED",
    "JWKSSerializer",
    "MeSerializer",
    "MessageSerializer",
    "PasswordChangeSerializer",
    "PasswordChangedSerializer",
    "PasswordField",
    "RefreshTokenResponseSerializer",
    "RefreshTokenSerializer",
    "SessionSerializer",
    "SigninFailedSerializer",
    "SigninResponseSerializer",
    "SigninSerializer",
    "SignoutSerializer",
    "SignupRejected",
    "SignupSerializer",
    "StrictCharField",
    "StrictCharMixin",
    "StrictEmailField",
    "TokenPairSerializer",
    "field_messages",
    "password_field",
    "username_field",
]
