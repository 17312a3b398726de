from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^all/?$", views.PublicBoard.as_view(), name="board-all"),
    re_path(r"^user/?$", views.UserBoard.as_view(), name="board-user"),
    re_path(r"^mod/?$", views.ModeratorBoard.as_view(), name="board-mod"),
    re_path(r"^admin/?$", views.AdminBoard.as_view(), name="board-admin"),
]
