"""
authsite's own middleware, in the order of ``settings.MIDDLEWARE``:

``AllowedHostMiddleware`` first (nothing runs for a request to a host we do not serve),
``CallerDependentCacheControlMiddleware`` next (it sees every answer), and
``RequestBodyLimitMiddleware`` after django-cors-headers' middleware (its 413 carries the CORS
headers, so a browser shows the client the JSON instead of a CORS error).
"""

import logging

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import DisallowedHost
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty

from .exceptions import bad_request, json_error

# Django's own logger for this event, so operators' existing filters apply.
host_logger = logging.getLogger("django.security.DisallowedHost")


class AllowedHostMiddleware:
    """
    Answer 400 (the contract's JSON) to a request whose ``Host`` (or, with
    ``USE_X_FORWARDED_HOST``, forwarded host) is not in ``ALLOWED_HOSTS``, before any other work.

    Django validates the host lazily, in ``request.get_host()``, which only ``CommonMiddleware``,
    CSRF on HTTPS and absolute-URL building call: the API answered any Host (and anything that
    later builds a link from it, such as a password-reset mail, would trust it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost as exc:
            host_logger.warning("%s", exc, extra={"request": request, "status_code": 400})
            # The same answer as Django's own refusal (handler400): {"message": "Bad request."}.
            return bad_request(request, exc)
        return self.get_response(request)


class CallerDependentCacheControlMiddleware:
    """
    ``Cache-Control: private, no-store`` on every response that does not set its own caching.

    The API's answers depend on the caller (the boards on the token's roles, /me on the user, the
    errors on the credentials sent), so no shared cache may keep them: a proxy that cached
    ``/api/test/admin`` would serve "Admin Content." to anyone. Responses that declare their own
    policy keep it (WhiteNoise's static assets; the auth endpoints' ``never_cache`` headers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class RequestBodyLimitMiddleware:
    """
    Answer 413 (the contract's JSON) to a request whose declared body is larger than
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, before anything reads it. Django enforces that limit only
    for form data; DRF's JSON parser reads the stream directly. Installed after CorsMiddleware,
    which adds ``Access-Control-Allow-Origin`` to the 413 on its way out.
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


class LazyMessageMiddleware(MessageMiddleware):
    """
    Django's ``MessageMiddleware`` with the message storage made when first used.

    Django's builds the storage (a cookie store with its signer, and a session store) for every
    request, and saves it on every response, though only the admin adds or reads messages: ~10 µs
    of a 150 µs API request (BENCHMARKS.md, issue 16). Messages that are added are saved as
    before; Django's admin check (admin.E409) accepts the subclass.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response  # nothing used them: nothing to save
        return super().process_response(request, response)
