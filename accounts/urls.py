from django.urls import re_path

from . import views

# Each path answers with and without a trailing slash (no redirect: a 301 on POST loses the body).
urlpatterns = [
    re_path(r"^signup/?$", views.SignupView.as_view(), name="signup"),
    re_path(r"^signin/?$", views.SigninView.as_view(), name="signin"),
    re_path(r"^refreshtoken/?$", views.RefreshTokenView.as_view(), name="refreshtoken"),
    re_path(r"^signout/?$", views.SignoutView.as_view(), name="signout"),
    re_path(r"^me/?$", views.MeView.as_view(), name="me"),
    re_path(r"^sessions/?$", views.SessionListView.as_view(), name="sessions"),
    re_path(
        r"^sessions/(?P<session_id>[0-9]{1,18})/?$",
        views.SessionDetailView.as_view(),
        name="session-detail",
    ),
    re_path(r"^password/?$", views.PasswordChangeView.as_view(), name="password"),
]
