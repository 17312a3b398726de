from django.urls import re_path

from . import views

PROVIDER = r"(?P<provider>[a-z][a-z0-9]{0,30})"

# Each path answers with and without a trailing slash (no redirect).
urlpatterns = [
    re_path(rf"^oidc/{PROVIDER}/login/?$", views.LoginView.as_view(), name="oidc-login"),
    re_path(rf"^oidc/{PROVIDER}/callback/?$", views.CallbackView.as_view(), name="oidc-callback"),
    re_path(rf"^oidc/{PROVIDER}/link/?$", views.LinkView.as_view(), name="oidc-link"),
    re_path(r"^oidc/token/?$", views.TokenView.as_view(), name="oidc-token"),
    re_path(r"^identities/?$", views.IdentityListView.as_view(), name="identities"),
    re_path(
        r"^identities/(?P<identity_id>[0-9]{1,18})/?$",
        views.IdentityDetailView.as_view(),
        name="identity-detail",
    ),
]
