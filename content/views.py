"""
The four boards, each answering ``text/plain; charset=utf-8`` with its bare text; and ``/hello``.
"""

from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsModerator
from accounts.views import PublicAPIView


class BoardView(APIView):
    text = None

    def get(self, request):
        return HttpResponse(self.text, content_type="text/plain; charset=utf-8")


class PublicBoard(PublicAPIView, BoardView):
    text = "Public Content."


class UserBoard(BoardView):
    permission_classes = [IsAuthenticated]
    text = "User Content."


class ModeratorBoard(BoardView):
    permission_classes = [IsModerator]
    text = "Moderator Content."


class AdminBoard(BoardView):
    permission_classes = [IsAdmin]
    text = "Admin Content."


class HTMLUnlessJSONNegotiation(DefaultContentNegotiation):
    """DRF's negotiation among HTML and JSON; an ``Accept`` that matches neither gets HTML."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class HelloView(APIView):
    """
    ``GET /hello``: ``Hello <email>`` for a proxy-authenticated caller (the email of the verified
    assertion) or a token-authenticated one (the account's email). An HTML page (the template
    escapes the email) unless the client asks for JSON: ``{"message": "Hello <email>"}``. Errors
    are the contract's JSON whatever was asked for.
    """

    permission_classes = [IsAuthenticated]
    renderer_classes = [TemplateHTMLRenderer, JSONRenderer]
    content_negotiation_class = HTMLUnlessJSONNegotiation
    template_name = "content/hello.html"

    def get(self, request):
        email = getattr(request.auth, "email", None) or request.user.email
        response = Response({"message": f"Hello {email}"})
        # A page for one person: never kept by a shared cache between the proxy and the user.
        patch_cache_control(response, private=True, no_store=True)
        return response

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
