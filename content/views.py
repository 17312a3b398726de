"""The four boards. Each answers ``text/plain; charset=utf-8`` with its bare text."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsModerator
from accounts.schema import TOKEN_ERRORS
from accounts.views import PublicAPIView
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


@board_schema(*DATABASE_ERRORS)
class PublicBoard(PublicAPIView, BoardView):
    text = "Public Content."


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
