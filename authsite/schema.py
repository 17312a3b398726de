"""
OpenAPI building blocks shared by the endpoints' ``extend_schema`` declarations: the one error
shape of ``authsite.exceptions`` and the errors that whole groups of endpoints can answer.

An endpoint declares its errors as ``(status, example)`` pairs, the example being the message
(or, for validation errors, the whole body); ``api_errors`` turns them into documented responses,
one per status, with every message as a named example.
"""

from http import HTTPStatus

from django.conf import settings
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers

from .exceptions import UNAVAILABLE_MESSAGE
from .negotiation import JSONErrorsMixin


class ErrorSerializer(serializers.Serializer):
    """Every JSON error: ``{"message": ...}``, plus the field errors on a validation error."""

    message = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: the messages for each field.",
    )


# What any endpoint that reads a request body can answer before the view runs.
BODY_ERRORS = (
    (400, "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
    (413, f"Request body too large (limit {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)."),
    (415, 'Unsupported media type "text/xml" in request.'),
)
# What any endpoint that reads the database answers while it is down.
DATABASE_ERRORS = ((503, UNAVAILABLE_MESSAGE),)


def example_body(example):
    return example if isinstance(example, dict) else {"message": example}


def api_errors(*cases, serializer=ErrorSerializer):
    """``{status: OpenApiResponse}`` for ``(status, message or body)`` pairs, in status order."""
    by_status = {}
    for status, example in cases:
        by_status.setdefault(status, []).append(example_body(example))
    return {
        status: OpenApiResponse(
            serializer,
            description=HTTPStatus(status).phrase,
            examples=[
                OpenApiExample(
                    slugify(body["message"])[:40],
                    summary=body["message"],
                    value=body,
                    status_codes=[status],
                    response_only=True,
                )
                for body in bodies
            ],
        )
        for status, bodies in sorted(by_status.items())
    }


def without_trailing_slash(endpoints, **kwargs):
    """
    Preprocessing hook: list each path as the contract writes it, without the trailing slash
    that the urlconf's ``/?`` makes optional.
    """
    return [(path.rstrip("/") or "/", regex, method, view) for path, regex, method, view in endpoints]


class SchemaView(JSONErrorsMixin, SpectacularAPIView):
    """``/api/schema``: YAML, or JSON on request; an unknown ``?format=`` is the contract's JSON 404."""


class SwaggerView(JSONErrorsMixin, SpectacularSwaggerView):
    """``/api/docs``: Swagger UI (HTML); its errors and ``OPTIONS`` are JSON."""


class RedocView(JSONErrorsMixin, SpectacularRedocView):
    """``/api/redoc``: ReDoc (HTML); its errors and ``OPTIONS`` are JSON."""
