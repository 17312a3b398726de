"""
Response bodies of the auth endpoints, as the OpenAPI schema documents them and as the views
that return model data (``MeSerializer``, ``SessionSerializer``) render them.
"""

from rest_framework import serializers

from ..models import Role, authority


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


AUTHORITIES = [authority(name) for name in (Role.USER, Role.MODERATOR, Role.ADMIN)]


class MeSerializer(serializers.Serializer):
    """``GET /api/auth/me``; signin answers the same and its tokens."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    roles = serializers.ListField(
        source="authorities", child=serializers.ChoiceField(choices=AUTHORITIES)
    )
    # authsite's: whether the owner confirmed the address (recovery); the tutorial's clients ignore it.
    emailVerified = serializers.BooleanField(source="email_verified")  # noqa: N815


# The tokens of a session, in every body that hands them out (after the body's own fields). No
# docstring: subclasses would inherit it as their schema description.
class TokenPairSerializer(serializers.Serializer):

    accessToken = serializers.CharField()  # noqa: N815 (the wire name)
    refreshToken = serializers.CharField()  # noqa: N815


class SigninResponseSerializer(MeSerializer, TokenPairSerializer):
    tokenType = serializers.ChoiceField(choices=["Bearer"])  # noqa: N815


class SigninFailedSerializer(serializers.Serializer):
    accessToken = serializers.CharField(allow_null=True)  # noqa: N815 (always null)
    message = serializers.CharField()


class RefreshTokenResponseSerializer(TokenPairSerializer):
    pass


class IsCurrentSessionField(serializers.BooleanField):
    """Whether the session is the caller's own: the ``current`` session in the context."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, session):
        return session == self.context.get("current")


# ``GET /api/auth/sessions``: a session (``current`` from the context's ``current`` session).
class SessionSerializer(serializers.Serializer):

    id = serializers.IntegerField()
    createdAt = serializers.DateTimeField(source="created_at")  # noqa: N815
    lastUsedAt = serializers.DateTimeField(source="last_active_at")  # noqa: N815
    expiresAt = serializers.DateTimeField(source="expires_at")  # noqa: N815
    userAgent = serializers.CharField(source="user_agent")  # noqa: N815
    current = IsCurrentSessionField()


class PasswordChangedSerializer(MessageSerializer, TokenPairSerializer):
    """``POST /api/auth/password``: the current session's new tokens."""

    tokenType = serializers.ChoiceField(choices=["Bearer"])  # noqa: N815


class JWKSSerializer(serializers.Serializer):
    keys = serializers.ListField(child=serializers.DictField(), help_text="RFC 7517 JSON Web Keys.")
