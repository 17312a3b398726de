"""
Brute-force and abuse throttles: DRF throttles (``BaseThrottle``) with atomic counters in the shared
cache, so limits hold across server processes and against bursts of concurrent requests.

| scope           | key                         | counts                               | setting                  |
|-----------------|-----------------------------|--------------------------------------|--------------------------|
| ``signin_ip``   | client address              | sign-in requests                     | ``THROTTLE_SIGNIN_IP``   |
| ``signin_user`` | the username's identity key | failed sign-ins and password changes | ``THROTTLE_SIGNIN_USER`` |
| ``signup_ip``   | client address              | sign-up requests                     | ``THROTTLE_SIGNUP_IP``   |
| ``refresh_ip``  | client address              | refresh requests                     | ``THROTTLE_REFRESH_IP``  |

Counting: two fixed windows, each an atomic ``cache.incr``
(Redis ``INCRBY``; ``authsite.cache.DatabaseCache`` locks the row). DRF's own algorithm keeps a
list of timestamps that it reads and writes back, so concurrent requests all pass: measured, 16
simultaneous sign-ins against a limit of 5 all got through. The per-address throttles estimate a
sliding window (the current window's count plus the previous one's, weighted by how much of it
still overlaps); the per-account one is strict (``FailedSigninThrottle``). A request that is
refused is not counted; a counted one can be refunded (``refund``) from the very window it was
counted in. Rates and ``THROTTLE_ENABLED`` are read per request (so tests can change them).

The client address is DRF's (``NUM_PROXIES``, set from ``TRUSTED_PROXY_COUNT``); IPv6 clients are
counted per /64 network. A throttled
request is answered 429 ``{"message": ...}`` with ``Retry-After`` (authsite.exceptions) and
logged as a ``throttled`` security event. When the shared cache cannot be reached, throttled
endpoints answer 503 with ``Retry-After`` (fail closed), never 500.
"""

import hashlib
import ipaddress
import logging
import math
import re
import sys
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache as default_cache
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from authsite.exceptions import ServiceUnavailable

from .fields import clean_username
from .models import User, identity_key
from .security import client_ip, log_event

logger = logging.getLogger("authsite.errors")


def cache_errors():
    """
    What a shared cache raises when it cannot be reached (the database cache's OperationalError
    is answered 503 by authsite.exceptions already): redis's connection errors, once redis is
    loaded. Django's Redis cache imports redis when it first connects, and nothing else here
    needs it: a server whose cache is the database never loads it (~6.6 MiB per process,
    BENCHMARKS.md, "Memory"), and until redis is loaded none of its errors can be raised.
    """
    redis = sys.modules.get("redis")
    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) if redis else ()


@contextmanager
def cache_errors_unavailable():
    """
    Turn an unreachable shared cache into 503 ``ServiceUnavailable`` (with ``Retry-After``). The
    throttles fail closed: without their counters, sign-in would be open to unlimited guessing.
    """
    try:
        yield
    except cache_errors() as exc:
        logger.error("Shared cache unavailable: %s", exc)
        raise ServiceUnavailable() from exc


class RateThrottle(BaseThrottle):
    """
    A throttle keyed by the client's address, its rate looked up per request. On DRF's
    ``BaseThrottle``, not ``SimpleRateThrottle``: of that one only the rate format (extended in
    ``parse_rate``) and the cache key format (kept, so counters survive an upgrade) would be left.
    """

    cache = default_cache
    cache_format = "throttle_%(scope)s_%(ident)s"
    timer = staticmethod(time.time)
    scope = None
    key = None
    counted_key = None

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def parse_rate(self, rate):
        """DRF's rates, plus a period multiplier: ``1/180s``, ``5/10min``."""
        if rate is None:
            return (None, None)
        count, period = rate.split("/")
        multiplier, unit = re.fullmatch(r"([0-9]*)([a-z]+)", period).groups()
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit[0]]
        return int(count), int(multiplier or 1) * seconds

    def get_ident(self, request):
        """
        The client's address (DRF's, with ``NUM_PROXIES``); for IPv6, its /64 network, which one
        host usually holds whole (rotating through its addresses would open fresh buckets).
        """
        ident = client_ip(request)
        try:
            address = ipaddress.ip_address(ident)
        except ValueError:
            return ident
        if address.version == 6:
            if address.ipv4_mapped:
                return str(address.ipv4_mapped)
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return ident

    def get_cache_key(self, request, view):
        ident = self.get_ident(request)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def prepare(self, request, view):
        """Read the rate and key; False when this request is not throttled at all."""
        if not settings.THROTTLE_ENABLED:
            return False
        self.request = request
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        self.key = self.get_cache_key(request, view)
        if self.num_requests is None or self.key is None:
            return False
        self.now = self.timer()
        self.window = int(self.now // self.duration)
        self.elapsed = (self.now % self.duration) / self.duration
        return True

    def window_key(self, window):
        return f"{self.key}:{window}"

    def add(self, delta):
        """Add ``delta`` to the current window's counter atomically; returns the new count."""
        key = self.window_key(self.window)
        self.cache.add(key, 0, 2 * self.duration)
        try:
            return self.cache.incr(key, delta)
        except ValueError:  # expired between add and incr
            self.cache.set(key, max(delta, 0), 2 * self.duration)
            return max(delta, 0)

    def estimate(self, previous, current):
        """The requests counted in the last ``duration``: the previous window's, weighted by overlap."""
        return previous * (1 - self.elapsed) + current

    def allow_request(self, request, view):
        """Count this request; refuse it (uncounted) if the window estimate goes over the rate."""
        if not self.prepare(request, view):
            return True
        with cache_errors_unavailable():
            self.current = self.add(1)
            self.previous = self.cache.get(self.window_key(self.window - 1), 0)
            if self.estimate(self.previous, self.current) <= self.num_requests:
                self.counted_key = self.window_key(self.window)
                return True
            self.current = self.add(-1)
        return self.throttle_failure()

    def refund(self, request=None, view=None):
        """Take back the request ``allow_request`` counted, in the window it was counted in."""
        key, self.counted_key = self.counted_key, None
        if key is None:
            return
        with cache_errors_unavailable():
            try:
                self.cache.incr(key, -1)
            except ValueError:
                pass  # that window has expired: nothing left to take back

    def throttle_failure(self):
        log_event("throttled", self.request, scope=self.scope)
        return False

    def wait(self):
        """Seconds until one more request fits under the estimate."""
        room = self.num_requests - 1
        if self.current > room:
            # Only in the next window, where this one becomes the fading previous one.
            fraction = 1 + (1 - room / self.current)
        elif self.previous:
            # The previous window's weight has to fade: previous * (1 - e) <= room - current.
            fraction = 1 - (room - self.current) / self.previous
        else:
            fraction = self.elapsed  # it fits already (a concurrent refund made room)
        # Rounded first, so that float noise (50.000000001) does not add a second.
        return max(1, math.ceil(round((fraction - self.elapsed) * self.duration, 6)))


class SigninIPThrottle(RateThrottle):
    scope = "signin_ip"


class SignupIPThrottle(RateThrottle):
    scope = "signup_ip"


class RefreshIPThrottle(RateThrottle):
    scope = "refresh_ip"


class FailedSigninThrottle(RateThrottle):
    """
    Failed attempts on one account, from anywhere: sign-ins, and password changes with a wrong old
    password. Every attempt is counted when it comes in (so a burst of concurrent guesses is cut
    at the limit too); the views ``refund`` it when the password was right, so the account's
    owner is never counted.

    The account is the one sign-in looks up: the username as the sign-in serializer cleans it
    (whitespace stripped), under its identity key (case- and width-insensitive), so no spelling
    of one name opens a fresh bucket. The limit is strict: no rolling period ever sees more than
    the rate's number of attempts (the previous window counts in full, not weighted).
    """

    scope = "signin_user"

    def __init__(self, username=None):
        self.username = username

    def get_ident(self, request):
        username = self.username
        if username is None:
            username = body_username(request)
        try:
            username = clean_username(username)
        except exceptions.ValidationError:
            return None  # refused by the serializer before any password is checked
        self.account_key = identity_key(username)
        # Hashed: an identity key can be longer than a cache key may be.
        return hashlib.sha256(self.account_key.encode("utf-8", "surrogatepass")).hexdigest()

    def throttle_failure(self):
        """Log the locked account by id (None for an unknown name), which an admin can act on."""
        log_event("throttled", self.request, scope=self.scope, user=self.account_id())
        return False

    def account_id(self):
        user = User.objects.filter(username_key=self.account_key).only("pk").first()
        return None if user is None else user.pk

    def estimate(self, previous, current):
        # Any rolling period lies within two consecutive windows.
        return previous + current

    def wait(self):
        """Seconds until the next window (or the one after, if this one alone is full)."""
        windows = 1 if self.current <= self.num_requests - 1 else 2
        return max(1, math.ceil(round((windows - self.elapsed) * self.duration, 6)))


class PasswordConfirmationThrottle(FailedSigninThrottle):
    """
    ``FailedSigninThrottle`` on the caller's own account, for the endpoints where a signed-in caller
    confirms with the password (password change, email change): a wrong one is a guess at it.
    The view refunds it when the password was right, or when the body was refused unread.
    """

    def get_ident(self, request):
        self.username = request.user.username
        return super().get_ident(request)


def body_username(request):
    data = request.data
    return data.get("username") if hasattr(data, "get") else None


def clear_failed_signins(username):
    """
    Forget the failed sign-ins counted on ``username``'s account (a password reset proved the
    owner: it is how a locked-out owner gets back in).
    """
    throttle = FailedSigninThrottle(username=username)
    if not throttle.prepare(None, None):
        return
    with cache_errors_unavailable():
        throttle.cache.delete_many([throttle.window_key(throttle.window - 1), throttle.window_key(throttle.window)])


def count_request(throttles, request, view=None):
    """
    Count the request in each of ``throttles`` in turn. At the first refusal, uncount it from the
    ones before and return the refusing throttle; None when all of them let it through.
    """
    counted = []
    for throttle in throttles:
        if not throttle.allow_request(request, view):
            for passed in counted:
                passed.refund(request, view)
            return throttle
        counted.append(throttle)
    return None
