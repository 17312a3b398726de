"""
The API's view bases, shared by every app's endpoints: ``AuthAPIView`` (no-store, throttles that
refuse without counting), ``PublicAPIView`` (a token is optional and checked only if asked for),
``SignedInAPIView`` (a token is required); and the small request readers they share.
"""

from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from .authentication import IgnoreFailures
from .schema import OPTIONAL_TOKEN
from .throttling import count_request


class AuthAPIView(APIView):
    """An auth endpoint: nothing it answers is stored by a cache; a refused request counts nowhere."""

    def check_throttles(self, request):
        """
        DRF's, except that the first refusal ends the check and uncounts the throttles before it;
        the throttles that counted the request stay in ``self.counted_throttles`` (for ``refund``).
        """
        self.counted_throttles = self.get_throttles()
        refused = count_request(self.counted_throttles, request, self)
        if refused is not None:
            self.throttled(request, refused.wait())

    def refund(self, throttle_class):
        """Uncount this request from the ``throttle_class`` throttles that counted it."""
        for throttle in self.counted_throttles:
            if isinstance(throttle, throttle_class):
                throttle.refund(self.request, self)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class OptionalTokenMixin:
    """
    For an endpoint that needs no token. A missing, invalid or expired token makes the caller
    anonymous, never a 401: the refresh-flow clients send their expired access token with the
    very requests that get them a new one. Authentication is lazy: a token is only checked if
    the view asks who the caller is.
    """

    def get_authenticators(self):
        return [IgnoreFailures(authenticator) for authenticator in super().get_authenticators()]

    def perform_authentication(self, request):
        pass


@extend_schema(auth=OPTIONAL_TOKEN)
class PublicAPIView(OptionalTokenMixin, AuthAPIView):
    """An auth endpoint that needs no token (signup, signin, refreshtoken, signout)."""


class SignedInAPIView(AuthAPIView):
    """An endpoint for a signed-in user (403 ``No token provided!`` / 401 ``Unauthorized!``)."""

    permission_classes = [IsAuthenticated]


def body_field(request, name):
    """``name`` from a JSON object or form body; None when absent or when the body is no object."""
    data = request.data
    return data.get(name) if hasattr(data, "get") else None


def user_agent(request):
    """
    The client's User-Agent as stored with a session: without NUL characters, which PostgreSQL's
    text columns refuse (sign-in answered 500 there) and no real user agent sends.
    """
    return request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")
