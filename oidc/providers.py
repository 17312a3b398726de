"""
OpenID Connect providers from the environment (no Django here; ``authsite.settings`` calls
``from_environ`` and turns a ``ValueError`` into ``ImproperlyConfigured`` at start).

``OIDC_PROVIDERS=google,corp`` names them; each then reads ``OIDC_<NAME>_ISSUER`` (``google``
presets ``https://accounts.google.com``), ``_CLIENT_ID`` (required), ``_CLIENT_SECRET`` (none: a
public client, PKCE alone) and ``_SCOPES`` (default ``openid email profile``; ``openid`` and
``email`` are required, since users are provisioned with the email).
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

GOOGLE_ISSUER = "https://accounts.google.com"
PRESET_ISSUERS = {"google": GOOGLE_ISSUER}
DEFAULT_SCOPES = ("openid", "email", "profile")
_NAME = re.compile(r"[a-z][a-z0-9]{0,30}")


@dataclass(frozen=True)
class OIDCProvider:
    name: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: tuple = DEFAULT_SCOPES

    @property
    def discovery_url(self):
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def token_endpoint_auth_method(self):
        return "client_secret_basic" if self.client_secret else "none"


def check_url(url, setting):
    """``url`` if it is https, or http to a loopback address (development, tests); else ValueError."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
    raise ValueError(f"{setting} must be an https:// URL (http:// only to a loopback address), not {url!r}.")


def resolve(name, environ):
    prefix = f"OIDC_{name.upper()}_"
    issuer = environ.get(prefix + "ISSUER", "").strip() or PRESET_ISSUERS.get(name, "")
    if not issuer:
        raise ValueError(f"{prefix}ISSUER is required for the OIDC provider {name!r}.")
    check_url(issuer, prefix + "ISSUER")
    client_id = environ.get(prefix + "CLIENT_ID", "").strip()
    if not client_id:
        raise ValueError(f"{prefix}CLIENT_ID is required for the OIDC provider {name!r}.")
    scopes = tuple(environ.get(prefix + "SCOPES", "").split()) or DEFAULT_SCOPES
    missing = {"openid", "email"} - set(scopes)
    if missing:
        raise ValueError(f"{prefix}SCOPES must include {' and '.join(sorted(missing))}.")
    return OIDCProvider(
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=environ.get(prefix + "CLIENT_SECRET", "").strip(),
        scopes=scopes,
    )


def from_environ(environ):
    """``{name: OIDCProvider}`` for ``OIDC_PROVIDERS``; empty when it is unset."""
    names = [name.strip().lower() for name in environ.get("OIDC_PROVIDERS", "").split(",") if name.strip()]
    providers = {}
    for name in names:
        if not _NAME.fullmatch(name):
            raise ValueError(f"OIDC_PROVIDERS: {name!r} is not a provider name (a-z, 0-9, starting with a letter).")
        if name in providers:
            raise ValueError(f"OIDC_PROVIDERS names {name!r} twice.")
        providers[name] = resolve(name, environ)
    return providers
