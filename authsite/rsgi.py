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

The front builds a PEP 3333 ``environ`` from the RSGI scope and calls the WSGI application in one
thread per worker (never in the event loop: Django refuses database calls there), so each worker
runs one request at a time and keeps its database connection, as granian's WSGI with one blocking
thread did. The body is read whole first (the API's are small), but never past
``DATA_UPLOAD_MAX_MEMORY_SIZE``: over a declared length beyond it nothing is read, and a chunked
body stops being read there; the body-limit middleware then answers its 413.
tests/test_server_headers.py and tests/test_rsgi_front.py pin it
through server.py.
"""

import asyncio
import io
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "authsite.settings")

SPECIAL_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def host_and_port(address, default_port):
    host, _, port = address.rpartition(":")
    return (host, port) if host else (address, default_port)


def wsgi_environ(scope, body):
    """The PEP 3333 ``environ`` of an RSGI HTTP ``scope`` with the request ``body``."""
    server_name, server_port = host_and_port(scope.server, "80")
    remote_addr, remote_port = host_and_port(scope.client, "")
    environ = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        # RSGI gives the path percent-decoded as text; WSGI wants its bytes as latin-1 text.
        "PATH_INFO": scope.path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": remote_addr.strip("[]"),
        "REMOTE_PORT": remote_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in scope.headers.items():
        if "_" in name:
            continue  # the collision guard: see the module docstring
        key = SPECIAL_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
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


class WSGIOverRSGI:
    """An RSGI application serving the WSGI application ``wsgi``."""

    def __init__(self, wsgi):
        self.wsgi = wsgi
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wsgi")

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
        status, headers, content = await asyncio.get_running_loop().run_in_executor(self.thread, self.call, environ)
        protocol.response_bytes(status, headers, content)

    def call(self, environ):
        """Run the WSGI application: ``(status code, headers, body bytes)``."""
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = int(status.split(" ", 1)[0]), headers
            return lambda data: None  # no application here writes through it

        result = self.wsgi(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return started["status"], started["headers"], content

    def __rsgi_init__(self, loop):
        pass

    def __rsgi_del__(self, loop):
        pass


application = WSGIOverRSGI(get_wsgi_application())
