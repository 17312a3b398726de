"""
The API's one error shape.

Every error body is ``{"message": "<text>"}``; validation errors carry the field errors as well:
``{"message": "<first problem>", "errors": {"<field>": ["<text>", ...]}}``. DRF's ``detail`` key
never reaches a client. ``api_exception_handler`` covers everything raised inside a DRF view (it
is the ``EXCEPTION_HANDLER``); the ``handler*`` views cover what Django answers itself
(unknown routes, errors outside DRF).
"""

import logging
import math

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError, DataError, IntegrityError, connections
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts import messages

logger = logging.getLogger("authsite.errors")

# The names other modules (and the tests) know them by.
NO_TOKEN_MESSAGE = messages.NO_TOKEN
SERVER_ERROR_MESSAGE = messages.SERVER_ERROR
UNAVAILABLE_MESSAGE = messages.UNAVAILABLE


class ServiceUnavailable(exceptions.APIException):
    """503 with ``Retry-After``: a service the request needs (the shared cache) is unreachable."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"
    wait = 5


def flatten_errors(detail):
    """A serializer's nested error detail as ``{field: [text, ...]}``; nested keys are dotted."""
    flat = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)
        else:
            flat.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return flat


def error_body(detail, default):
    """The contract's body for an exception ``detail`` (str, list or dict)."""
    if isinstance(detail, dict):
        errors = flatten_errors(detail)
        first = next(iter(errors.values()), [default])
        return {"message": first[0], "errors": errors}
    if isinstance(detail, list):
        return {"message": str(detail[0]) if detail else default}
    return {"message": str(detail) if detail else default}


def api_exception_handler(exc, context):
    """DRF exception handler: the contract's JSON for every error, 500 included."""
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif is_outage(exc):  # authsite.outages
        logger.error("Database unavailable: %s", exc, exc_info=exc, extra={"request": request})
        close_connections()
        exc = ServiceUnavailable()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # e.g. a Host header not in ALLOWED_HOSTS, met while building an absolute URL: Django
        # answers these with 400 outside DRF, and so do we inside. A plain JsonResponse, so that
        # views with an HTML renderer (the docs pages) answer JSON too.
        logger.warning("%s", exc, extra={"request": request})
        return bad_request(request, exc)

    if isinstance(exc, exceptions.NotAuthenticated):
        # DRF raises this when no authenticator found credentials: the tutorial's 403.
        return Response({"message": NO_TOKEN_MESSAGE}, status=status.HTTP_403_FORBIDDEN)

    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
        if isinstance(exc, exceptions.ValidationError):
            body = error_body(exc.detail, "Invalid input.")
        elif isinstance(exc.detail, str):
            body = {"message": str(exc.detail)}
        else:
            body = {"message": str(exc.default_detail)}
        return Response(body, status=exc.status_code, headers=headers)

    logger.error("Unhandled error in %s", context.get("view"), exc_info=exc, extra={"request": request})
    return Response({"message": SERVER_ERROR_MESSAGE}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def is_outage(exc):
    """A database error that no request data causes: the database is down, dropped or unmigrated."""
    return isinstance(exc, DatabaseError) and not isinstance(exc, (IntegrityError, DataError))


def close_connections():
    """Drop the connections, so the next request opens fresh ones (see ``authsite.outages``)."""
    for connection in connections.all(initialized_only=True):
        connection.close()


def json_error(message, status_code, **headers):
    return JsonResponse({"message": message}, status=status_code, headers=headers or None)


@csrf_exempt
def not_found(request, exception=None):
    """handler404, and the catch-all for unknown API paths (so DEBUG never shows an HTML page)."""
    return json_error(messages.NOT_FOUND, 404)


def bad_request(request, exception=None):
    return json_error(messages.BAD_REQUEST, 400)


def permission_denied(request, exception=None):
    return json_error("You do not have permission to perform this action.", 403)


def server_error(request):
    return json_error(SERVER_ERROR_MESSAGE, 500)
