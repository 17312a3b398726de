"""
The four boards, each answering ``text/plain; charset=utf-8`` with its bare text; and ``/hello``.
"""

from django.http import Http404, HttpResponse
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import OptionalTokenMixin
from accounts.permissions import IsAdmin, IsModerator
from accounts.schema import OPTIONAL_TOKEN, TOKEN_ERRORS
from accounts.serializers import MessageSerializer
from authsite.negotiation import JSONErrorsMixin
from authsite.schema import DATABASE_ERRORS, api_errors


def board_schema(*errors):
    """Document a board: its text as ``text/plain``, then its JSON errors."""

    def decorate(view):
        text = OpenApiResponse(OpenApiTypes.STR, examples=[OpenApiExample("text", value=view.text)])
        return extend_schema(responses={(200, "text/plain"): text, **api_errors(*errors)})(view)

    return decorate


class BoardView(APIView):
    text = None

    def get(self, request):
        return HttpResponse(self.text, content_type="text/plain; charset=utf-8")


@extend_schema(auth=OPTIONAL_TOKEN)
@board_schema(*DATABASE_ERRORS)
class PublicBoard(OptionalTokenMixin, BoardView):
    """The same text for every caller: the one board a shared cache may keep (briefly)."""

    text = "Public Content."
    cache_seconds = 60

    def get(self, request):
        response = super().get(request)
        patch_cache_control(response, public=True, max_age=self.cache_seconds)
        return response


@board_schema(*TOKEN_ERRORS, *DATABASE_ERRORS)
class UserBoard(BoardView):
    permission_classes = [IsAuthenticated]
    text = "User Content."


@board_schema(*TOKEN_ERRORS, (403, IsModerator.message), *DATABASE_ERRORS)
class ModeratorBoard(BoardView):
    permission_classes = [IsModerator]
    text = "Moderator Content."


@board_schema(*TOKEN_ERRORS, (403, IsAdmin.message), *DATABASE_ERRORS)
class AdminBoard(BoardView):
    permission_classes = [IsAdmin]
    text = "Admin Content."


class HTMLUnlessJSONNegotiation(DefaultContentNegotiation):
    """
    DRF's negotiation among HTML and JSON; an ``Accept`` (or ``?format=``) that matches neither
    gets HTML.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):  # Http404: a ``?format=`` that no renderer has
            return renderers[0], renderers[0].media_type


@extend_schema(
    summary="Hello <email> (HTML page, or JSON on request)",
    responses={
        (200, "text/html"): OpenApiResponse(OpenApiTypes.STR),
        (200, "application/json"): MessageSerializer,
        **api_errors(*TOKEN_ERRORS, *DATABASE_ERRORS),
    },
)
class HelloView(JSONErrorsMixin, APIView):
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

