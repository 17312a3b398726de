"""
Database health checks after idle, not before every request.

With ``CONN_HEALTH_CHECKS`` Django pings a persistent connection at the first query of every
request, to find a connection the server closed while it sat idle. On MariaDB that ping is a full
round trip, as long as the hot path's one query itself (bench/profile.py: 1.67 s of pings against
1.36 s of queries in 3000 token-checked requests), and a worker waits for it doing nothing else.

A connection that served a request without a database error less than
``DATABASE_HEALTH_CHECK_IDLE_SECONDS`` ago was not closed for idling; its next request skips the
ping. After a longer pause, or after an error, Django's check runs as before. What is given up: a
database restart inside that window fails the next request of each worker with the outage 503
(``authsite.outages``, which also drops the connection), instead of that request reconnecting.
``0`` restores Django's check on every request. Connected in ``AuthsiteConfig.ready``.
"""

import time

from django.conf import settings
from django.db import connections


def note_healthy_connections(**kwargs):
    """``request_finished``: when each open connection last served a request without an error."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        healthy = connection.connection is not None and not connection.errors_occurred
        connection.healthy_at = now if healthy else None


def skip_recent_health_checks(**kwargs):
    """
    ``request_started``: no ping for a connection that was healthy a moment ago. It turns the
    connection's ``health_check_enabled`` off for this request (``connect()`` sets it again from
    ``CONN_HEALTH_CHECKS``), which, unlike ``health_check_done``, Django's own receiver does not
    reset: signal receivers run in no fixed order.
    """
    window = settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        if connection.connection is None:
            continue
        healthy_at = getattr(connection, "healthy_at", None)
        recent = healthy_at is not None and now - healthy_at < window
        connection.health_check_enabled = connection.settings_dict["CONN_HEALTH_CHECKS"] and not recent
