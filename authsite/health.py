"""
Health endpoints for the process manager and the load balancer. Neither needs (nor looks at) a
token, and both answer JSON.

- ``GET /healthz``, liveness: 200 as long as the process serves requests. It touches neither the
  database nor the caller's identity, so a database outage never gets the process restarted.
- ``GET /readyz``, readiness: 200 when the database answers a query, else 503 with the contract's
  error body. A failed check drops the connection, so the next check reconnects: readiness comes
  back by itself when the database does, without a restart.
"""

from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import ServiceUnavailable
from .schema import DATABASE_ERRORS, api_errors


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


def database_is_up():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connection.close()
        return False
    return True


class HealthView(APIView):
    authentication_classes = ()
    permission_classes = ()


@extend_schema(tags=["health"], responses={200: OpenApiResponse(StatusSerializer)})
class Liveness(HealthView):
    def get(self, request):
        return Response({"status": "ok"})


@extend_schema(
    tags=["health"], responses={200: OpenApiResponse(StatusSerializer), **api_errors(*DATABASE_ERRORS)}
)
class Readiness(HealthView):
    def get(self, request):
        if not database_is_up():
            raise ServiceUnavailable()
        return Response({"status": "ok"})
