from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer


class JSONOnlyContentNegotiation(DefaultContentNegotiation):
    """
    DRF's negotiation, except that the response is always rendered by the first renderer.

    The API renders only JSON (the content endpoints return plain text themselves), so an
    ``Accept`` header such as Angular's ``text/plain`` must never turn into a 406.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class JSONErrorsMixin:
    """
    For a view that renders HTML, YAML or text on success: its errors (405 for PUT, PATCH, TRACE,
    ...) are the contract's JSON, and so is its ``OPTIONS`` answer (DRF's metadata, which an HTML
    renderer has no template for: a 500).
    """

    def render_json(self):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type

    def handle_exception(self, exc):
        self.render_json()
        return super().handle_exception(exc)

    def options(self, request, *args, **kwargs):
        self.render_json()
        return super().options(request, *args, **kwargs)
