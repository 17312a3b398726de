"""
A provider's metadata (OpenID Connect Discovery) and its keys, fetched with proxyauth's hardened
fetcher: a total time limit, a size cap, no redirects, no proxy for loopback. Cached per process
for ``METADATA_SECONDS``; the key set is a ``proxyauth.keysets.RemoteKeySet`` (cached keys, one
refetch a minute at most for an unknown ``kid``, fail closed).

The document must name exactly the configured issuer (OpenID Connect Discovery 1.0, 4.3) and its
endpoints must be https (http only on loopback). ID tokens are accepted only with an asymmetric
algorithm the provider lists (default RS256): never ``none``, never HS* (the client secret).
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from proxyauth.keysets import KeySetUnavailable, RemoteKeySet, fetch
from proxyauth.profiles import ALGORITHM_FAMILIES

from .providers import check_url

METADATA_SECONDS = 3600
MAX_DOCUMENT_BYTES = 64 * 1024
ASYMMETRIC = {alg for algs in ALGORITHM_FAMILIES.values() for alg in algs}


class ProviderUnavailable(Exception):
    """The provider's metadata could not be fetched or is not acceptable."""


@dataclass(frozen=True)
class ProviderMetadata:
    authorization_endpoint: str
    token_endpoint: str
    algorithms: tuple
    iss_parameter_supported: bool
    key_set: RemoteKeySet


_cache = {}
_lock = threading.Lock()


def metadata_for(provider):
    """The ``ProviderMetadata`` of ``provider``; ``ProviderUnavailable`` when it cannot be had."""
    with _lock:
        cached = _cache.get(provider)
        if cached is not None and time.monotonic() - cached[0] < METADATA_SECONDS:
            return cached[1]
    metadata = _fetch(provider)
    with _lock:
        _cache[provider] = (time.monotonic(), metadata)
    return metadata


def _fetch(provider):
    timeout = settings.OIDC_HTTP_TIMEOUT
    try:
        document = fetch(provider.discovery_url, timeout, MAX_DOCUMENT_BYTES)
    except KeySetUnavailable as exc:
        raise ProviderUnavailable(f"{provider.discovery_url}: {exc}") from None
    if not isinstance(document, dict) or document.get("issuer") != provider.issuer:
        raise ProviderUnavailable(f"{provider.discovery_url} does not name the issuer {provider.issuer}")
    try:
        endpoints = {
            key: check_url(str(document[key]), key)
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        }
    except (KeyError, ValueError) as exc:
        raise ProviderUnavailable(f"{provider.discovery_url}: {exc}") from None
    listed = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(alg for alg in listed if alg in ASYMMETRIC)
    if not algorithms:
        raise ProviderUnavailable(f"{provider.discovery_url}: no asymmetric ID token algorithm")
    return ProviderMetadata(
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        algorithms=algorithms,
        iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
        key_set=RemoteKeySet(
            endpoints["jwks_uri"], timeout=timeout, max_bytes=MAX_DOCUMENT_BYTES,
            cache_seconds=3600, refetch_interval=60,
        ),
    )


def clear():
    """Forget every cached document (tests; a settings change)."""
    with _lock:
        _cache.clear()
