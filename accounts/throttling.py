"""
Brute-force and abuse throttles (DRF's ``SimpleRateThrottle``, counters in the shared cache).

| scope          | key                       | counts                   | setting (README)        |
|----------------|---------------------------|--------------------------|-------------------------|
| ``signin_ip``   | client address            | every sign-in request    | ``THROTTLE_SIGNIN_IP``   |
| ``signin_user`` | the username's identity key | failed sign-ins and failed password changes | ``THROTTLE_SIGNIN_USER`` |
| ``signup_ip``   | client address            | every sign-up request    | ``THROTTLE_SIGNUP_IP``   |
| ``refresh_ip``  | client address            | every refresh request    | ``THROTTLE_REFRESH_IP``  |

Rates and ``THROTTLE_ENABLED`` are read when a request comes in (so tests can override them).
The client address is ``accounts.security.client_ip`` (``TRUSTED_PROXY_COUNT``). A throttled
request is answered 429 ``{"message": ...}`` with ``Retry-After`` (authsite.exceptions) and
logged as a ``throttled`` security event.
"""

import hashlib

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import identity_key
from .security import client_ip, log_event


class RateThrottle(SimpleRateThrottle):
    """A throttle whose rate is looked up per request, keyed by the client's address."""

    key = None

    def __init__(self):
        pass  # The rate is read in allow_request, not once per process.

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if not settings.THROTTLE_ENABLED:
            return True
        self.request = request
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def throttle_failure(self):
        log_event("throttled", self.request, scope=self.scope)
        return False


class SigninIPThrottle(RateThrottle):
    scope = "signin_ip"


class SignupIPThrottle(RateThrottle):
    scope = "signup_ip"


class RefreshIPThrottle(RateThrottle):
    scope = "refresh_ip"


class FailedSigninThrottle(RateThrottle):
    """
    Failed attempts on one account, from anywhere: a sign-in with a wrong password, or a password
    change with a wrong old password. ``allow_request`` only checks; the views call
    ``record_failure`` when the password was wrong, so an account's owner who signs in correctly
    is never counted.
    """

    scope = "signin_user"

    def __init__(self, username=None):
        self.username = username

    def get_ident(self, request):
        username = self.username
        if username is None:
            data = request.data
            username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        # Hashed: an identity key can be longer than a cache key may be.
        return hashlib.sha256(identity_key(username).encode("utf-8", "surrogatepass")).hexdigest()

    def get_cache_key(self, request, view):
        ident = self.get_ident(request)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def throttle_success(self):
        return True

    def record_failure(self, request, view=None):
        """Count a failed attempt on the account (when throttling is on)."""
        if self.allow_request(request, view) and self.key is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)
