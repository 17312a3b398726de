"""
The CSRF check of cookie mode: an unsafe request authenticated by a cookie is accepted only from an
allowed origin, and only as JSON. Anything else is 403 JSON.

Threat model (README, "Cookie mode"). A browser attaches the cookies to requests other sites make,
so a request carrying them proves nothing about who made it. Three layers:

1. ``SameSite`` (``Lax`` by default, ``Strict`` allowed): another *site* (``127.0.0.1`` against
   ``localhost``, ``evil.example`` against ``app.example``) gets no cookie on its POSTs at all.
   It does not stop other origins of the same site (another port, a sibling subdomain).
2. The origin allow-list: the request's ``Origin`` must be one of ``CORS_ALLOWED_ORIGINS`` or the
   service's own origin (the docs pages); when a browser sends no ``Origin``, its ``Referer``
   must name one. A request with neither is refused: every browser sends ``Origin`` on a
   cross-origin POST, and a client without either is not a page that can be trusted here.
3. JSON only: a POST (and any request with a body) must be ``application/json``. An HTML form
   or a ``no-cors`` fetch cannot send that type cross-origin without a CORS preflight, which only
   the allowed origins pass; so even a same-site origin that slipped through (2) cannot forge a body.

No CSRF token or header is required: the tutorial's Angular clients cannot send one (they call
absolute URLs, so Angular never adds its XSRF header). Requests authenticated by a header token
are not checked: a page cannot make a browser add that header for another origin.
"""

from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import exceptions

from .messages import JSON_REQUIRED, ORIGIN_NOT_ALLOWED

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class OriginNotAllowed(exceptions.PermissionDenied):
    default_detail = ORIGIN_NOT_ALLOWED
    default_code = "origin_not_allowed"


class JSONRequired(exceptions.PermissionDenied):
    default_detail = JSON_REQUIRED
    default_code = "json_required"


def check_cookie_request(request):
    """Raise ``OriginNotAllowed`` / ``JSONRequired`` for an unsafe request that may not use the cookies."""
    if request.method in SAFE_METHODS:
        return
    if not origin_allowed(request):
        raise OriginNotAllowed()
    if not declares_json(request):
        raise JSONRequired()


def foreign_browser_origin(request):
    """
    Login CSRF: a page of another origin that posts a sign-in (an HTML form needs no preflight)
    would plant the attacker's session cookies in the victim's browser. So a sign-in that sets
    cookies is refused when it comes with an ``Origin`` outside the allow-list; clients without
    one (curl, servers) are not browsers acting for someone else and pass.
    """
    return "HTTP_ORIGIN" in request.META and not origin_allowed(request)


def own_origin(request):
    """The origin the service itself is reached at (the docs pages call the API from it)."""
    return f"{request.scheme}://{request.get_host()}"


def origin_allowed(request):
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        referer = request.META.get("HTTP_REFERER")
        if not referer:
            return False
        parts = urlsplit(referer)
        if not (parts.scheme and parts.netloc):
            return False
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin in settings.CORS_ALLOWED_ORIGINS or origin == own_origin(request)


def declares_json(request):
    has_body = request.method == "POST" or int(request.META.get("CONTENT_LENGTH") or 0) > 0
    if not has_body:
        return True  # DELETE/PUT/PATCH without a body: the method itself forces a preflight
    media_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"
