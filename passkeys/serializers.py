"""The passkey endpoints' bodies (camelCase on the wire, as the tutorial's)."""

from rest_framework import serializers

from .models import Passkey


class PasskeySerializer(serializers.ModelSerializer):
    """A passkey as listed to its owner: no key material, nothing the authenticator would not show."""

    createdAt = serializers.DateTimeField(source="created_at", read_only=True)  # noqa: N815 (wire name)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", read_only=True, allow_null=True)  # noqa: N815
    backedUp = serializers.BooleanField(source="backed_up", read_only=True)  # noqa: N815

    class Meta:
        model = Passkey
        fields = ["id", "name", "createdAt", "lastUsedAt", "backedUp"]
        read_only_fields = ["id"]


class PasskeyNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64, trim_whitespace=True)


class RegisterCompleteSerializer(serializers.Serializer):
    credential = serializers.JSONField(
        help_text="What navigator.credentials.create() returned, as PublicKeyCredential.toJSON() writes it."
    )
    name = serializers.CharField(max_length=64, trim_whitespace=True, required=False, default="Passkey")


class SigninCompleteSerializer(serializers.Serializer):
    credential = serializers.JSONField(
        help_text="What navigator.credentials.get() returned, as PublicKeyCredential.toJSON() writes it."
    )
