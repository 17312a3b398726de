from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as session_middleware
from django.middleware import csrf

from .exceptions import json_error


class RequestBodyLimitMiddleware:
    """
    Answer 413 (the contract's JSON) to a request whose declared body is larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, before anything reads it. Django enforces that limit only
    for form data; DRF's JSON parser reads the stream directly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error("Invalid Content-Length header.", 400)
        if limit is not None and length > limit:
            return json_error(f"Request body too large (limit {limit} bytes).", 413)
        return self.get_response(request)


# Paths of the JSON API: token-authenticated, no cookies, no browser.
API_PATH_PREFIXES = ("/api/", "/healthz", "/readyz")


def is_api_path(request):
    return request.path_info.startswith(API_PATH_PREFIXES)


class BrowserOnlyMixin:
    """
    For the middleware that only the admin (a browser app) needs: cookie sessions, CSRF, the
    session user and messages. On the API's paths it steps aside: the API authenticates each
    request by token and never reads a session or a cookie, and those four middleware were a
    third of the cost of a bare API request (BENCHMARKS.md). Subclasses, so the admin's system
    checks still find them.
    """

    def __call__(self, request):
        if is_api_path(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(BrowserOnlyMixin, session_middleware.SessionMiddleware):
    pass


class CsrfViewMiddleware(BrowserOnlyMixin, csrf.CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        # Django calls process_view on its own; an API path must not meet the HTML CSRF failure
        # page (a POST to an unknown API path is the contract's JSON 404).
        if is_api_path(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(BrowserOnlyMixin, auth_middleware.AuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserOnlyMixin, messages_middleware.MessageMiddleware):
    pass
