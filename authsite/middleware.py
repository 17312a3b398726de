from django.conf import settings

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
