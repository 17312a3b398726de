"""
Reading settings from the environment: each helper returns a value or refuses to start with
``ImproperlyConfigured`` naming the variable. Only ``authsite/settings.py`` calls these.
"""

import os
import re
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from accounts import keys
from oidc import providers as oidc_providers
from proxyauth import profiles as proxy_profiles


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}.")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """A whole number from ``name``; with ``minimum``, smaller values are refused at start."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def env_log_level(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip().upper() or default
    if value not in LOG_LEVELS:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(LOG_LEVELS)}, not {value!r}.")
    return value


def env_list(name: str, default: Iterable[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_from_env(name: str, dev_default: str, *, debug: bool, dev_defaults_in_use: list[str]) -> str:
    """
    A secret of at least 32 characters from ``name``. Unset: refused, unless ``debug``, where
    ``dev_default`` is used and ``name`` recorded in ``dev_defaults_in_use`` (a warning at start).
    """
    value = os.environ.get(name, "")
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long.")
        return value
    if not debug:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`), "
            "or set DJANGO_DEBUG=1 to run with insecure development defaults."
        )
    dev_defaults_in_use.append(name)
    return dev_default


def read_pem(name: str, value: str) -> str:
    """PEM text: ``value`` itself (``\\n`` escapes allowed) or the contents of the file it names."""
    if value.startswith(keys.PEM_BEGIN):
        return value.replace("\\n", "\n")
    try:
        return Path(value).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot read the key file {value!r} ({exc.strerror}).") from None


def pems_from_env(name: str) -> list[str]:
    """PEM texts from ``name``: PEM text, or a comma-separated list of PEM file paths."""
    value = os.environ.get(name, "").strip()
    if not value or value.startswith(keys.PEM_BEGIN):
        return [read_pem(name, value)] if value else []
    return [read_pem(name, path) for path in env_list(name, [])]


def env_rate(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?(s|sec|m|min|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 20/min or 1/180s, not {value!r}.")
    return value


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` (compared without regard to case), spelled as in ``choices``."""
    value = os.environ.get(name, "").strip() or default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    listed = ", ".join(choices[:-1]) + f" or {choices[-1]}"
    raise ImproperlyConfigured(f"{name} must be {listed}, not {value!r}.")


def env_cookie_name(name: str, default: str) -> str:
    """A cookie name (an RFC 6265 token: no spaces, separators or ``=``)."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
        raise ImproperlyConfigured(f"{name} must be a cookie name (letters, digits, !#$%&'*+.^_`|~-), not {value!r}.")
    return value


def fernet_keys_from_env(name: str, fallback_secret: str) -> tuple[list[str], bool]:
    """
    ``(keys, from_environment)``: the comma-separated Fernet keys in ``name`` (the first encrypts,
    all decrypt: rotation), each refused at start, by position, unless it is a urlsafe-base64
    32-byte key (``Fernet.generate_key()``), then a key derived from ``fallback_secret``
    (DJANGO_SECRET_KEY), decrypt-only. Unset: the derived key alone, and ``from_environment``
    False (``check --deploy`` warns, mfa.W001).
    """
    import base64
    import hashlib

    from cryptography.fernet import Fernet

    value = os.environ.get(name, "").strip()
    digest = hashlib.sha256(b"authsite mfa secrets\x00" + fallback_secret.encode()).digest()
    derived = base64.urlsafe_b64encode(digest).decode()
    if not value:
        return [derived], False
    fernet_keys = [item.strip() for item in value.split(",")]
    for position, key in enumerate(fernet_keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"{name}: key {position} is not a Fernet key (32 bytes, urlsafe base64: "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
            ) from None
    # The derived key last: it still decrypts the secrets stored before the variable was set,
    # until `manage.py mfa reencrypt` has moved them to the first key.
    return [*fernet_keys, derived], True


def env_link(name: str, default: str, placeholders: list[str]) -> str:
    """A link template for mail (never built from the request's Host): absolute http(s), placeholders in."""
    value = os.environ.get(name, "").strip() or default
    if not re.match(r"https?://[^/?#{}]+", value):
        raise ImproperlyConfigured(f"{name} must be an absolute http:// or https:// URL, not {value!r}.")
    try:
        value.format(**{placeholder: "x" for placeholder in placeholders})
    except (KeyError, IndexError, ValueError):
        raise ImproperlyConfigured(
            f"{name} may hold only the placeholders {', '.join('{%s}' % p for p in placeholders)}."
        ) from None
    for placeholder in placeholders:
        if "{%s}" % placeholder not in value:
            raise ImproperlyConfigured(f"{name} must contain {{{placeholder}}}.")
    return value


def jwt_keys_from_env(
    algorithm: str, dev_signing_key: str, *, debug: bool, dev_defaults_in_use: list[str]
) -> tuple[str, str, list[str]]:
    """
    ``(signing key, verifying key, previous public keys)`` for ``algorithm``: the shared secret
    JWT_SIGNING_KEY (HS*), or the private key JWT_PRIVATE_KEY and the public keys of
    JWT_PREVIOUS_PUBLIC_KEYS (asymmetric algorithms; PEM text or files), refused with a message
    naming the variable when unusable. ``debug`` allows development defaults.
    """
    if algorithm in keys.SYMMETRIC_ALGORITHMS:
        signing_key = secret_from_env(
            "JWT_SIGNING_KEY", dev_signing_key, debug=debug, dev_defaults_in_use=dev_defaults_in_use
        )
        if os.environ.get("JWT_PREVIOUS_PUBLIC_KEYS", "").strip():
            raise ImproperlyConfigured(
                "JWT_PREVIOUS_PUBLIC_KEYS needs an asymmetric JWT_ALGORITHM (RS256, ES256 or EdDSA)."
            )
        return signing_key, "", []
    if algorithm in keys.ASYMMETRIC_ALGORITHMS:
        private_pems = pems_from_env("JWT_PRIVATE_KEY")
        if len(private_pems) == 1:
            try:
                private_key = keys.load_private_key(private_pems[0], algorithm)
            except keys.UnusableKey as exc:
                raise ImproperlyConfigured(f"JWT_PRIVATE_KEY: {exc}") from None
        elif private_pems:
            raise ImproperlyConfigured("JWT_PRIVATE_KEY must hold one private key.")
        elif debug:
            # A throw-away key: tokens stop verifying when the process restarts.
            private_key = keys.generate_private_key(algorithm)
            dev_defaults_in_use.append("JWT_PRIVATE_KEY")
        else:
            raise ImproperlyConfigured(
                f"JWT_PRIVATE_KEY is not set. JWT_ALGORITHM={algorithm} signs access tokens with a "
                "private key: set JWT_PRIVATE_KEY to its PEM text or to the path of a PEM file (create one "
                f"with `DJANGO_DEBUG=1 python manage.py jwtkeys {algorithm} --out <dir>`), or set "
                "DJANGO_DEBUG=1 to use a throw-away development key."
            )
        try:
            previous_public_keys = [
                keys.public_pem(key)
                for pem in pems_from_env("JWT_PREVIOUS_PUBLIC_KEYS")
                for key in keys.load_public_keys(pem, algorithm)
            ]
        except keys.UnusableKey as exc:
            raise ImproperlyConfigured(f"JWT_PREVIOUS_PUBLIC_KEYS: {exc}") from None
        return keys.private_pem(private_key), keys.public_pem(private_key), previous_public_keys
    raise ImproperlyConfigured(
        "JWT_ALGORITHM must be one of "
        f"{', '.join(keys.SYMMETRIC_ALGORITHMS + keys.ASYMMETRIC_ALGORITHMS)}, not {algorithm!r}."
    )


def proxy_profile_from_env(proxy_auth: str) -> proxy_profiles.ProxyProfile | None:
    """The identity-aware proxy's profile for PROXY_AUTH (None when off), its presets filled in."""
    if proxy_auth in ("off", "0", "false", "no"):
        return None
    try:
        return proxy_profiles.resolve(
            proxy_auth,
            audience=os.environ.get("PROXY_AUTH_AUDIENCE", "").strip(),
            header=os.environ.get("PROXY_AUTH_HEADER", "").strip(),
            jwks_url=os.environ.get("PROXY_AUTH_JWKS_URL", "").strip(),
            issuer=os.environ.get("PROXY_AUTH_ISSUER", "").strip(),
            algorithms=env_list("PROXY_AUTH_ALGORITHMS", []),
            subject_claim=os.environ.get("PROXY_AUTH_SUBJECT_CLAIM", "").strip(),
            email_claim=os.environ.get("PROXY_AUTH_EMAIL_CLAIM", "").strip(),
            max_lifetime=env_int("PROXY_AUTH_MAX_LIFETIME", 0, minimum=0) or None,
            jwks_timeout=env_int("PROXY_AUTH_JWKS_TIMEOUT", 0, minimum=0) or None,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def oidc_providers_from_env() -> dict:
    """``{name: OIDCProvider}`` for OIDC_PROVIDERS and each provider's OIDC_<NAME>_* variables."""
    try:
        return oidc_providers.from_environ(os.environ)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def oidc_origins_from_env(default: list[str]) -> list[str]:
    """OIDC_REDIRECT_ORIGINS: origins (``scheme://host[:port]``) an OIDC flow may end at."""
    origins = env_list("OIDC_REDIRECT_ORIGINS", default)
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
            raise ImproperlyConfigured(f"OIDC_REDIRECT_ORIGINS: {origin!r} is not an origin (scheme://host[:port]).")
    return origins


def env_hostname(name: str, default: str) -> str:
    """A host name (letters, digits, hyphens and dots; no scheme, port or path), lower-cased."""
    value = (os.environ.get(name, "").strip() or default).lower()
    label = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
    if len(value) > 253 or not re.fullmatch(rf"{label}(\.{label})*", value):
        raise ImproperlyConfigured(f"{name} must be a host name such as example.com (no scheme, port), not {value!r}.")
    return value


def env_origins(name: str, default: list[str]) -> list[str]:
    """Comma-separated origins, each exactly ``http(s)://host[:port]`` (no path, no trailing slash)."""
    origins = env_list(name, default)
    if not origins:
        raise ImproperlyConfigured(f"{name} must list at least one origin.")
    for origin in origins:
        if not re.fullmatch(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?", origin):
            raise ImproperlyConfigured(
                f"{name}: {origin!r} is not an origin (http(s)://host[:port], lower case, no path)."
            )
    return origins
