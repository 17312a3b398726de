"""
Proxy profiles: what an identity-aware proxy's signed assertion looks like and how to check it.

A profile names the request header that carries the assertion, the one algorithm family it may
be signed with, where the proxy publishes its keys (a JWK set), the exact issuer and audience,
the claims that hold the user's stable id and email, and how long an assertion may live.
``resolve()`` builds one from a preset (``iap``, ``cloudflare``, ``generic``) and the operator's
values and refuses an incomplete or unsafe one with a ``ValueError`` that says what to fix;
``authsite.settings`` turns that into ``ImproperlyConfigured`` at start-up. No Django here.
"""

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IAP_ISSUER = "https://cloud.google.com/iap"
IAP_JWKS_URL = "https://www.gstatic.com/iap/verify/public_key-jwk"
CLOUDFLARE_CERTS_PATH = "/cdn-cgi/access/certs"

# Asymmetric algorithms only (a proxy's keys are public), grouped by key type: a profile's
# algorithms must come from one group, so no token can pick a weaker interpretation of a key.
ALGORITHM_FAMILIES = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"),
    "OKP": ("EdDSA",),
}


@dataclass(frozen=True)
class ProxyProfile:
    name: str
    header: str
    algorithms: tuple[str, ...]
    jwks_url: str
    issuer: str
    audience: str
    # True: ``aud`` may be a list that contains ``audience`` (Cloudflare); False: ``aud`` must be
    # exactly the string ``audience`` (Google's rule).
    audience_in_list: bool = False
    # Upper bound on ``exp - iat`` in seconds (leeway included), or None.
    max_lifetime: int | None = None
    leeway: int = 30
    subject_claim: str = "sub"
    email_claim: str = "email"
    jwks_timeout: float = 5
    jwks_max_bytes: int = 64 * 1024
    jwks_cache_seconds: int = 3600
    # Unknown ``kid``: refetch the key set at most once per this many seconds.
    jwks_refetch_interval: int = 60

    @property
    def meta_key(self) -> str:
        """The header's key in a WSGI/Django ``request.META``."""
        return "HTTP_" + self.header.upper().replace("-", "_")

    @property
    def required_claims(self) -> list[str]:
        return ["exp", "iat", "iss", "aud", self.subject_claim, self.email_claim]


PRESETS: dict[str, dict[str, Any]] = {
    "iap": {
        "header": "X-Goog-Iap-Jwt-Assertion",
        "algorithms": ("ES256",),
        "jwks_url": IAP_JWKS_URL,
        "issuer": IAP_ISSUER,
        # Google: at most 10 minutes, plus the 30 s skew at either end.
        "max_lifetime": 600 + 2 * 30,
    },
    "cloudflare": {
        "header": "Cf-Access-Jwt-Assertion",
        "algorithms": ("RS256",),
        "audience_in_list": True,
    },
    "generic": {},
}


def _check_url(url: str) -> str:
    """https anywhere; http only to a loopback address; file for keys on local disk."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "file" and parts.path and not parts.netloc:
        return url
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
    raise ValueError(
        f"PROXY_AUTH_JWKS_URL must be an https:// URL (http:// only to a loopback address, or a "
        f"file:/// path), not {url!r}."
    )


def _check_algorithms(algorithms: Sequence[str]) -> tuple[str, ...]:
    if not algorithms:
        raise ValueError("PROXY_AUTH_ALGORITHMS is required (for example ES256 or RS256).")
    families = set()
    for algorithm in algorithms:
        family = next((k for k, algs in ALGORITHM_FAMILIES.items() if algorithm in algs), None)
        if family is None:
            allowed = ", ".join(alg for algs in ALGORITHM_FAMILIES.values() for alg in algs)
            raise ValueError(f"PROXY_AUTH_ALGORITHMS: {algorithm!r} is not one of {allowed}.")
        families.add(family)
    if len(families) > 1:
        raise ValueError("PROXY_AUTH_ALGORITHMS must all use one key type (RSA, EC or OKP).")
    return tuple(algorithms)


def resolve(name: str, *, audience: str, header: str = "", jwks_url: str = "", issuer: str = "",
            algorithms: Iterable[str] = (), subject_claim: str = "", email_claim: str = "",
            max_lifetime: int | None = None, jwks_timeout: float | None = None) -> ProxyProfile:
    """The profile ``name`` with the operator's values (empty ones keep the preset's)."""
    if name not in PRESETS:
        raise ValueError(f"PROXY_AUTH must be off, {', '.join(PRESETS)}; not {name!r}.")
    values = dict(PRESETS[name])
    overrides = {
        "header": header,
        "jwks_url": jwks_url,
        "issuer": issuer.rstrip("/") if name == "cloudflare" else issuer,
        "algorithms": tuple(algorithms),
        "subject_claim": subject_claim,
        "email_claim": email_claim,
        "max_lifetime": max_lifetime,
        "jwks_timeout": jwks_timeout,
    }
    values.update({key: value for key, value in overrides.items() if value})
    if name == "cloudflare" and values.get("issuer") and not values.get("jwks_url"):
        values["jwks_url"] = values["issuer"] + CLOUDFLARE_CERTS_PATH

    if not audience:
        raise ValueError("PROXY_AUTH_AUDIENCE is required: the exact audience the proxy signs for.")
    for setting, key in (
        ("PROXY_AUTH_HEADER", "header"),
        ("PROXY_AUTH_ISSUER", "issuer"),
        ("PROXY_AUTH_JWKS_URL", "jwks_url"),
    ):
        if not values.get(key):
            raise ValueError(f"{setting} is required with PROXY_AUTH={name}.")
    header_name = values["header"]
    if not all(ch.isalnum() or ch == "-" for ch in header_name):
        raise ValueError(f"PROXY_AUTH_HEADER must be letters, digits and '-', not {header_name!r}.")
    return ProxyProfile(
        name=name,
        audience=audience,
        **{**values, "algorithms": _check_algorithms(values.get("algorithms", ())),
           "jwks_url": _check_url(values["jwks_url"])},
    )
