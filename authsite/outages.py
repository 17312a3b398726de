"""
Database outages are 503 ``{"message": ...}`` with ``Retry-After``, never a 500.

An outage is any database error but the two that a request's own data can cause
(``IntegrityError``, ``DataError``: validation must stop those first, and a 500 shows it did
not): the server is down or unreachable (``OperationalError``), the database was dropped or is
not migrated (``ProgrammingError``: MySQL's 1146 "table doesn't exist", 1046 "no database
selected" on a connection whose database was dropped), the connection broke (``InterfaceError``).
The connection is closed as well, so that the worker's next request opens a fresh one: Django
keeps a connection that still answers a ping, and one whose database was dropped never recovers.

``api_exception_handler`` applies this inside DRF views; ``DatabaseOutageMiddleware`` everywhere
else (the admin, its login).
"""

import logging

from .exceptions import ServiceUnavailable, close_connections, is_outage, json_error

logger = logging.getLogger("authsite.errors")


def outage_response(exc, request=None):
    """Log the outage, drop the connections, and answer the contract's 503."""
    logger.error("Database unavailable: %s", exc, exc_info=exc, extra={"request": request})
    close_connections()
    return json_error(str(ServiceUnavailable.default_detail), ServiceUnavailable.status_code,
                      **{"Retry-After": str(ServiceUnavailable.wait)})


class DatabaseOutageMiddleware:
    """Answer a database outage raised by a plain Django view (the admin) with the 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return outage_response(exception, request)
        return None
