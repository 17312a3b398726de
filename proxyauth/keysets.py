"""
A proxy's public keys, fetched from its JWK-set URL and cached.

- Fetched with a total time limit (``timeout``) and a size cap (``max_bytes``); redirects are not
  followed. The URL was checked when the profile was built (https, loopback http, or file).
- Cached for ``cache_seconds``. A ``kid`` not in the cache triggers one refetch, and such refetches
  happen at most once per ``refetch_interval`` seconds: a flood of made-up ``kid`` values costs at
  most one outbound request a minute.
- Fails closed: an unreachable endpoint, an error status, a body that is not a JWK set, or an
  expired cache that cannot be refreshed all mean "no key" (the assertion is refused); a failed
  refetch for an unknown ``kid`` keeps the cached keys that are still fresh. A failed
  scheduled fetch is retried after ``FAILURE_BACKOFF`` seconds, not on every request.

Only the configured URL is ever fetched: a token's ``jku``/``x5u``/``jwk``/``x5c`` headers are never
looked at.

Why not a subclass of PyJWT's ``PyJWKClient`` (2.15: lifespan cache, unknown-``kid`` cool-down, no
redirects): what it lacks would mean overriding nearly all of it, the smell of a base class that
does not fit. Its constructor refuses ``file:`` URLs, which profiles accept (``__init__``); its
fetch has a per-read socket timeout, not a total deadline, no byte cap, and goes through
environment proxies even for loopback URLs (``fetch_data``); its cool-down starts at every
successful fetch, so a key rotated in just after a scheduled fetch waits out the cool-down, and it
has no back-off after a failure, so with the endpoint down every request waits for the timeout
again (``get_signing_key``). Left would be ``PyJWKSet`` parsing (here ``parse``, which also skips a
key without ``kid`` instead of failing the set) and a lock.
"""

import http.client
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jwt

from .profiles import ProxyProfile

logger = logging.getLogger("authsite.proxyauth")

FAILURE_BACKOFF = 5
CHUNK = 8192


class KeySetUnavailable(Exception):
    """The key set could not be fetched or parsed."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError for the 3xx


def _opener(url: str) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if urlsplit(url).scheme != "https":
        handlers.append(urllib.request.ProxyHandler({}))  # loopback/file: never via a proxy
    return urllib.request.build_opener(*handlers)


def fetch(url: str, timeout: float, max_bytes: int) -> Any:
    """The JSON document at ``url``; ``KeySetUnavailable`` on any failure."""
    deadline = time.monotonic() + timeout
    try:
        with _opener(url).open(url, timeout=timeout) as response:
            body = b""
            while chunk := response.read1(CHUNK):  # whatever has arrived: checks the clock often
                body += chunk
                if len(body) > max_bytes:
                    raise KeySetUnavailable(f"larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise KeySetUnavailable(f"took longer than {timeout} s")
        return json.loads(body)
    except KeySetUnavailable:
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise KeySetUnavailable(str(exc) or type(exc).__name__) from None


def parse(document: Any) -> dict[str, jwt.PyJWK]:
    """``{kid: PyJWK}`` for the usable keys of a JWK set; keys without a ``kid`` are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise KeySetUnavailable("not a JWK set")
    keys = {}
    for jwk in document["keys"]:
        if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str):
            try:
                keys[jwk["kid"]] = jwt.PyJWK(jwk)
            except jwt.PyJWTError:
                continue
    if not keys:
        raise KeySetUnavailable("no usable keys")
    return keys


class RemoteKeySet:
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self, url: str, *, timeout: float, max_bytes: int, cache_seconds: float, refetch_interval: float
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.cache_seconds = cache_seconds
        self.refetch_interval = refetch_interval
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._kid_refetch_at: float | None = None
        self._lock = threading.Lock()

    def get(self, kid: str) -> jwt.PyJWK | None:
        """The key named ``kid``, or None."""
        with self._lock:
            now = self.clock()
            if not self._fresh(now):
                if not self._backing_off(now):
                    self._refresh(now)
            elif kid not in self._keys and self._may_refetch_for_kid(now):
                self._kid_refetch_at = now
                self._refresh(now)
            return self._keys.get(kid) if self._fresh(now) else None

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self.cache_seconds

    def _backing_off(self, now: float) -> bool:
        return self._failed_at is not None and now - self._failed_at < FAILURE_BACKOFF

    def _may_refetch_for_kid(self, now: float) -> bool:
        return self._kid_refetch_at is None or now - self._kid_refetch_at >= self.refetch_interval

    def _refresh(self, now: float) -> None:
        try:
            self._keys = parse(fetch(self.url, self.timeout, self.max_bytes))
        except KeySetUnavailable as exc:
            logger.warning("Proxy key set %s unavailable: %s", self.url, exc)
            self._failed_at = now  # keys still fresh stay in use; expired ones stay expired
            return
        self._fetched_at, self._failed_at = now, None


_key_sets: dict[tuple[Any, ...], RemoteKeySet] = {}
_key_sets_lock = threading.Lock()


def key_set_for(profile: ProxyProfile) -> RemoteKeySet:
    """The process-wide cached key set of ``profile``'s URL."""
    key = (profile.jwks_url, profile.jwks_timeout, profile.jwks_max_bytes,
           profile.jwks_cache_seconds, profile.jwks_refetch_interval)
    with _key_sets_lock:
        if key not in _key_sets:
            _key_sets[key] = RemoteKeySet(
                profile.jwks_url,
                timeout=profile.jwks_timeout,
                max_bytes=profile.jwks_max_bytes,
                cache_seconds=profile.jwks_cache_seconds,
                refetch_interval=profile.jwks_refetch_interval,
            )
        return _key_sets[key]


def clear() -> None:
    """Forget every cached key set (tests; a settings change)."""
    with _key_sets_lock:
        _key_sets.clear()
