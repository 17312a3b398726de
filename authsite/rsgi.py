"""
RSGI entry point, `authsite.rsgi:application`: what the production server (server.py) runs.

Django's WSGI application behind a thin RSGI front (granian's native interface). Why not
granian's WSGI interface: CGI-style ``environ`` keys turn ``-`` into ``_``, and granian's WSGI
merges ``X_Forwarded_For`` and ``X-Forwarded-For`` (or ``X_Goog_Iap_Jwt_Assertion`` and the
proxy's ``X-Goog-Iap-Jwt-Assertion``) into one key before the application sees them, the last
one winning: a client could send, under a spelling the proxy does not strip, a header that
replaces the proxy's own ("header map collision"). RSGI hands over the names as sent, so this
front drops every name containing ``_``, as gunicorn, nginx, runserver and Django's own
``ASGIRequest`` do. Why not ASGI, where Django drops them itself: Django's ASGI handler runs each
sync view through ``sync_to_async`` in a thread, and served a third of the requests per second
(BENCHMARKS.md, "Server tuning").

The front builds a PEP 3333 ``environ`` from the RSGI scope and calls the WSGI application on the
worker's event-loop thread (see ``WSGIOverRSGI.call`` for why Django's check against database
calls there does not apply), so each worker runs one request at a time and keeps its database
connection, as granian's WSGI with one blocking thread did. The body is read whole first (the
API's are small), but never past ``DATA_UPLOAD_MAX_MEMORY_SIZE``: over a declared length beyond it
nothing is read, and a chunked body stops being read there; the body-limit middleware then
answers its 413. tests/test_server_headers.py and tests/test_rsgi_front.py pin it through
server.py.

Cost (BENCHMARKS.md, "What each change bought"): until issue 16 the application ran in a one-thread
pool, and every request paid the hop there and back (a future, a wake-up, the GIL changing
threads); the environ is now a copy of its constant part plus the request's own values, header
names translated through a bounded cache. Server CPU per request on MariaDB: all 311 -> 264 µs,
user 925 -> 792 µs (bench/servercpu.py).
"""

import asyncio
import io
import os
import sys
from functools import lru_cache

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

SPECIAL_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}

# The part of every environ that does not depend on the request (copied, never shared).
CONSTANT_ENVIRON = {
    "SCRIPT_NAME": "",
    "wsgi.version": (1, 0),
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


def host_and_port(address, default_port):
    host, _, port = address.rpartition(":")
    return (host, port) if host else (address, default_port)


@lru_cache(maxsize=1024)
def environ_key(name):
    """
    The ``environ`` key of the header ``name`` (lower case, as RSGI gives it), or None for a name
    containing ``_`` (the collision guard: see the module docstring). Cached: a client's names are
    few and repeat; the cache's size bounds what unusual names can make it keep.
    """
    if "_" in name:
        return None
    return SPECIAL_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")


@lru_cache(maxsize=64)
def server_values(server, http_version):
    """SERVER_NAME, SERVER_PORT and SERVER_PROTOCOL: the same for every request on a listener."""
    name, port = host_and_port(server, "80")
    return name, port, f"HTTP/{http_version}"


def wsgi_environ(scope, body):
    """The PEP 3333 ``environ`` of an RSGI HTTP ``scope`` with the request ``body``."""
    environ = CONSTANT_ENVIRON.copy()
    environ["SERVER_NAME"], environ["SERVER_PORT"], environ["SERVER_PROTOCOL"] = server_values(
        scope.server, scope.http_version
    )
    remote_addr, environ["REMOTE_PORT"] = host_and_port(scope.client, "")
    environ["REMOTE_ADDR"] = remote_addr.strip("[]")
    environ["REQUEST_METHOD"] = scope.method
    # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1 text.
    path = scope.path
    environ["PATH_INFO"] = path if path.isascii() else path.encode("utf-8").decode("latin-1")
    environ["QUERY_STRING"] = scope.query_string
    environ["wsgi.url_scheme"] = scope.scheme
    environ["wsgi.input"] = io.BytesIO(body)
    for name, value in scope.headers.items():
        key = environ_key(name)
        if key is None:
            continue
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def declared_length(scope):
    try:
        return int(scope.headers.get("content-length") or 0)
    except ValueError:
        return 0


async def read_body(protocol, limit):
    """The whole request body, or ``None`` as soon as it is longer than ``limit`` bytes."""
    if limit is None:
        return await protocol()
    chunks, size = [], 0
    async for chunk in protocol:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class StartResponse:
    """WSGI's ``start_response``, keeping the status code and headers."""

    __slots__ = ("status", "headers")

    def __call__(self, status, headers, exc_info=None):
        self.status, self.headers = int(status[:3]), headers
        return self.write

    @staticmethod
    def write(data):
        raise NotImplementedError("no application here writes through start_response's write()")


class WSGIOverRSGI:
    """An RSGI application serving the WSGI application ``wsgi``."""

    def __init__(self, wsgi):
        self.wsgi = wsgi

    async def __rsgi__(self, scope, protocol):
        if scope.proto != "http":
            return
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = b"" if limit is not None and declared_length(scope) > limit else await read_body(protocol, limit)
        environ = wsgi_environ(scope, body or b"")
        if body and "CONTENT_LENGTH" not in environ:
            environ["CONTENT_LENGTH"] = str(len(body))  # chunked: Django reads CONTENT_LENGTH bytes
        if body is None:
            # A body without a declared length (chunked) that grew past the limit: declare it, so
            # that the body-limit middleware answers its 413.
            environ["CONTENT_LENGTH"] = str(limit + 1)
        protocol.response_bytes(*self.call(environ))

    def call(self, environ):
        """
        Run the WSGI application on this thread: ``(status code, headers, body bytes)``.

        This is the worker's event-loop thread, and the call blocks it until the response is
        ready, so the worker runs one request at a time (granian keeps accepting and parsing in
        its Rust runtime meanwhile). Django refuses database calls while a loop is running in the
        thread (``SynchronousOnlyOperation``), a guard against coroutines of one loop interleaving
        on one connection: no coroutine can run before this call returns, so the loop is marked
        as not running for its duration, and marked again after.
        """
        loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        try:
            start_response = StartResponse()
            result = self.wsgi(environ, start_response)
            try:
                content = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            asyncio._set_running_loop(loop)
        return start_response.status, start_response.headers, content

    def __rsgi_init__(self, loop):
        pass

    def __rsgi_del__(self, loop):
        pass


application = WSGIOverRSGI(get_wsgi_application())
