"""Request and answer shapes of the OIDC endpoints (for validation where used, and OpenAPI)."""

from rest_framework import serializers


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The one-time code from next's URL fragment (#code=...).")


class LinkRequestSerializer(serializers.Serializer):
    next = serializers.URLField(required=False, help_text="Where the flow ends; an allowed origin.")


class LinkStartedSerializer(serializers.Serializer):
    location = serializers.URLField(help_text="Open it in the browser (top level) within 60 s.")


class IdentitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    issuer = serializers.CharField()
    providers = serializers.ListField(child=serializers.CharField(), help_text="Configured names for the issuer.")
    subject = serializers.CharField()
    createdAt = serializers.DateTimeField()  # noqa: N815
