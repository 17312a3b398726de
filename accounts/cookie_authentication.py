"""
``CookieTokenAuthentication``: ``AccessTokenAuthentication`` that also accepts the access token
from its HttpOnly cookie (cookie mode, ``accounts.cookies``).

A header token, when present, wins: the cookie is read only when neither ``x-access-token`` nor
``Authorization: Bearer`` carries one, so header clients behave exactly as before in every mode.
An unsafe request authenticated by the cookie must pass the origin check first
(``accounts.origins``: 403 ``Origin not allowed!`` / ``Content-Type must be application/json!``),
before the token is even read. The token is then validated exactly as a header token (expired:
401 ``Unauthorized! Access Token was expired!``; anything else wrong: 401 ``Unauthorized!``), with
the same single query. With ``AUTH_COOKIES=off`` the cookie is never read.
"""

from . import cookies, origins
from .authentication import AccessTokenAuthentication


class CookieTokenAuthentication(AccessTokenAuthentication):
    def get_raw_access_token(self, request):
        raw_token = super().get_raw_access_token(request)
        if raw_token is not None:
            return raw_token
        raw_token = cookies.access_cookie(request)
        if raw_token is not None:
            origins.check_cookie_request(request)
        return raw_token
