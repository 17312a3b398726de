"""
Cookie mode (``AUTH_COOKIES``): the tokens travel in HttpOnly cookies instead of the body.

- ``off`` (default): nothing here sets a cookie; the body carries the tokens (header clients).
- ``on``: the Node cookie variant's contract: sign-in sets the access token in the access cookie
  (``AUTH_COOKIE_ACCESS_NAME``, path ``/api``) and the refresh token in the refresh cookie
  (``AUTH_COOKIE_REFRESH_NAME``, path ``/api/auth``: refreshtoken and signout), and the body
  carries no token, so no script can read one.
- ``both``: the cookies are set **and** the body is the header-mode body (a site moving from one
  client family to the other).

Every cookie is ``HttpOnly``, ``SameSite`` as configured (``Lax`` or ``Strict``), ``Secure``
unless DJANGO_DEBUG=1 or ``AUTH_COOKIE_SECURE=0``, without ``Domain`` unless
``AUTH_COOKIE_DOMAIN``; each lives as long as its token (the access token's ``exp``, the
session's expiry). A request authenticated by one of them is checked by ``accounts.origins``.
"""

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from . import origins
from .authentication import ACCESS_TOKEN_HEADER

# What the header-mode bodies carry and cookie mode ``on`` leaves out.
TOKEN_FIELDS = ("accessToken", "refreshToken", "tokenType")


def enabled():
    return settings.AUTH_COOKIES != "off"


def token_response(body, access_token, refresh_token, session):
    """
    The answer that hands out ``access_token`` (an ``AccessToken``) and ``refresh_token`` (the
    raw token of ``session``): ``body`` (the header-mode body) as the mode wants it, with the
    cookies in modes ``on`` and ``both``.
    """
    if settings.AUTH_COOKIES == "on":
        body = {key: value for key, value in body.items() if key not in TOKEN_FIELDS}
    response = Response(body)
    if enabled():
        set_token_cookies(response, access_token, refresh_token, session)
    return response


def set_token_cookies(response, access_token, refresh_token, session):
    now = timezone.now()
    access_seconds = max(0, round(access_token["exp"] - now.timestamp()))
    refresh_seconds = max(0, round((session.expires_at - now).total_seconds()))
    set_cookie(response, settings.AUTH_COOKIE_ACCESS_NAME, str(access_token), access_seconds,
               settings.AUTH_COOKIE_ACCESS_PATH)
    set_cookie(response, settings.AUTH_COOKIE_REFRESH_NAME, refresh_token, refresh_seconds,
               settings.AUTH_COOKIE_REFRESH_PATH)


def set_cookie(response, name, value, max_age, path):
    response.set_cookie(
        name, value, max_age=max_age, path=path, domain=settings.AUTH_COOKIE_DOMAIN,
        secure=settings.AUTH_COOKIE_SECURE, httponly=True, samesite=settings.AUTH_COOKIE_SAMESITE,
    )


def refuses_signin(request):
    """Whether a sign-in, which would set cookies, comes from a browser on an origin not allowed."""
    return enabled() and origins.foreign_browser_origin(request)


def clear_token_cookies(response, request):
    """
    Expire both cookies (sign-out), with the attributes they were set with; only for a request
    that carried one (and so passed the origin check): a cross-site form, which SameSite strips
    of the cookies, must not make the browser drop them either.
    """
    names = (settings.AUTH_COOKIE_ACCESS_NAME, settings.AUTH_COOKIE_REFRESH_NAME)
    if not enabled() or not any(request.COOKIES.get(name) for name in names):
        return response
    for name, path in (
        (settings.AUTH_COOKIE_ACCESS_NAME, settings.AUTH_COOKIE_ACCESS_PATH),
        (settings.AUTH_COOKIE_REFRESH_NAME, settings.AUTH_COOKIE_REFRESH_PATH),
    ):
        set_cookie(response, name, "", 0, path)
    return response


def access_cookie(request):
    """The raw access token from its cookie, or None (also when cookie mode is off)."""
    if not enabled():
        return None
    return request.COOKIES.get(settings.AUTH_COOKIE_ACCESS_NAME) or None


def carries_header_token(request):
    return bool(request.META.get(ACCESS_TOKEN_HEADER, "").strip() or request.META.get("HTTP_AUTHORIZATION"))


def refresh_cookie(request):
    """
    The raw refresh token from its cookie, or None. Using it authenticates the request by cookie,
    so the request must pass the origin check first (``accounts.origins``: 403 otherwise). A
    request with a header token is a header client's: its cookies are not read (the header wins).
    """
    if not enabled() or carries_header_token(request):
        return None
    token = request.COOKIES.get(settings.AUTH_COOKIE_REFRESH_NAME) or None
    if token is not None:
        origins.check_cookie_request(request)
    return token
