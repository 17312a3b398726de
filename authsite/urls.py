from django.contrib import admin
from django.urls import include, path, re_path
from rest_framework.negotiation import DefaultContentNegotiation

from accounts.admin import throttle_signins
from accounts.views import JWKSView
from content.views import HelloView

from . import exceptions, health
from .schema import RedocView, SchemaView, SwaggerView


def include_on_first_use(module):
    """
    ``include(module)``, with ``module`` imported when a request's path first reaches it.

    What ``include()`` returns, with the URLconf left as its dotted path: Django's ``URLResolver``
    imports such a path the first time it needs the patterns, as it does for ``ROOT_URLCONF``. A
    request reaches them only when its path starts with the prefix and no earlier pattern matched
    it (reversing a URL reaches them all). For what most processes never serve: the production
    server imports the URLconf before it forks its workers, and a module imported there is held
    by every process (one copy, shared) even if no worker ever uses it (BENCHMARKS.md, "Memory").
    The module may not set ``app_name`` (it would be read only on import).
    """
    return (module, None, None)


urlpatterns = [
    path("api/auth/", include("accounts.urls")),
    # The features beyond the tutorial's API, with their libraries (Authlib for OIDC, py_webauthn
    # for passkeys, segno for the TOTP QR code): imported on first use.
    path("api/auth/", include_on_first_use("recovery.urls")),
    path("api/auth/", include_on_first_use("oidc.urls")),
    path("api/auth/", include_on_first_use("mfa.urls")),
    path("api/auth/", include_on_first_use("passkeys.urls")),
    # authsite's own pages for the mailed links (the tutorial's clients have none).
    path("account/", include_on_first_use("recovery.page_urls")),
    path("account/", include_on_first_use("mfa.page_urls")),
    path("account/", include_on_first_use("passkeys.page_urls")),
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
