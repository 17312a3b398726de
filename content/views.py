"""The four boards. Each answers ``text/plain; charset=utf-8`` with its bare text."""

from django.http import HttpResponse
from rest_framework.permissions import IsAuthenticated
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
