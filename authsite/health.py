"""
Health endpoints for the process manager and the load balancer. Neither needs (nor looks at) a
token, and both answer JSON.

- ``GET /healthz``, liveness: 200 as long as the process serves requests. It touches neither the
  database nor the caller's identity, so a database outage never gets the process restarted.
- ``GET /readyz``, readiness: 200 when what every request needs is there, else 503 with the
  contract's error body and ``Retry-After``: the database answers, every migration this code
  knows is applied (an unmigrated database answered sign-ins with a 500 while readiness said
  200), and the shared cache that holds the throttle counters answers (Redis, or the database
  cache table). Two queries with the database cache, one with Redis. A failed check drops the
  connection, so the next check reconnects: readiness comes back by itself, without a restart.
"""

import logging
from functools import lru_cache

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.throttling import cache_errors

from .exceptions import ServiceUnavailable
from .schema import DATABASE_ERRORS, api_errors

logger = logging.getLogger("authsite.errors")

READINESS_PROBE_KEY = "readyz-probe"


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


@lru_cache(maxsize=1)
def known_migrations():
    """``{(app, name), ...}``: the migrations of this code (read from disk once per process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def unready_reason():
    """Why the service cannot serve requests now, or None when it can."""
    try:
        applied = set(MigrationRecorder(connection).migration_qs.values_list("app", "name"))
    except DatabaseError as exc:
        connection.close()
        return f"database unavailable: {exc}"
    missing = known_migrations() - applied
    if missing:
        return f"{len(missing)} migration(s) not applied, e.g. {sorted(missing)[0]}: run migrate"
    try:
        cache.get(READINESS_PROBE_KEY)
    except (DatabaseError, *cache_errors()) as exc:
        connection.close()
        return f"throttle cache unavailable: {exc}"
    return None


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
        reason = unready_reason()
        if reason is not None:
            logger.warning("Not ready: %s", reason)
            raise ServiceUnavailable()
        return Response({"status": "ok"})
