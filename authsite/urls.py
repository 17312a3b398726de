from django.contrib import admin
from django.urls import include, path, re_path
from rest_framework.negotiation import DefaultContentNegotiation

from accounts.admin import throttle_signins
from accounts.views import JWKSView
from content.views import HelloView

from . import exceptions, health
from .schema import RedocView, SchemaView, SwaggerView

urlpatterns = [
    path("api/auth/", include("accounts.urls")),
    path("api/auth/", include("recovery.urls")),
    path("api/auth/", include("oidc.urls")),
    path("api/auth/", include("mfa.urls")),
    path("api/auth/", include("passkeys.urls")),
    # authsite's own pages for the mailed links (the tutorial's clients have none).
    path("account/", include("recovery.page_urls")),
    path("account/", include("mfa.page_urls")),
    path("account/", include("passkeys.page_urls")),
    path("api/test/", include("content.urls")),
    # OpenAPI: YAML by default, JSON for `Accept: application/json` or `?format=json`.
    re_path(
        r"^api/schema/?$",
        SchemaView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="schema",
    ),
    re_path(r"^api/docs/?$", SwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(
        r"^api/redoc/?$",
        RedocView.as_view(url_name="schema", template_name="authsite/redoc.html"),
        name="redoc",
    ),
    re_path(r"^healthz/?$", health.Liveness.as_view(), name="healthz"),
    re_path(r"^readyz/?$", health.Readiness.as_view(), name="readyz"),
    re_path(r"^hello/?$", HelloView.as_view(), name="hello"),
    re_path(r"^\.well-known/jwks\.json/?$", JWKSView.as_view(), name="jwks"),
    # The admin's login is a password form too: the sign-in throttles apply to it.
    path("admin/login/", throttle_signins(admin.site.login)),
    path("admin/", admin.site.urls),
    # Every other path: the contract's JSON 404, with DEBUG on as well.
    re_path(r"", exceptions.not_found),
]

handler400 = exceptions.bad_request
handler403 = exceptions.permission_denied
handler404 = exceptions.not_found
handler500 = exceptions.server_error
