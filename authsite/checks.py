"""
authsite's Django system checks (``manage.py check``; ``check --deploy`` adds the deploy ones).

The environment is validated when the settings load (authsite/settings.py refuses bad values with
a message naming the variable); these checks cover the same rules for settings set in code (a
settings module of one's own, ``override_settings``) and the production advice that is legal but
unsafe. Ids are stable (as django-cors-headers' ``corsheaders.E0xx``):

- ``authsite.E001`` access-token lifetime not positive
- ``authsite.E002`` refresh-token lifetime not positive
- ``authsite.E003`` request body limit below ``MIN_REQUEST_BODY_BYTES``
- ``authsite.E004`` a database's ``CONN_MAX_AGE`` negative
- ``authsite.E005`` rotation grace window negative
- ``authsite.E006`` authsite's middleware missing or out of order (Host refusal first, the body
  limit after CorsMiddleware)
- ``authsite.E007`` (database) a PostgreSQL database not encoded in UTF8: in a cluster made under
  the C locale the default is SQL_ASCII, which makes ``varchar(150)`` count bytes, not characters
- ``authsite.E008`` the default cache is not shared between processes (local memory, dummy)
  while throttling is on: each server process would count on its own, multiplying every limit
- ``authsite.E009`` the database cache on SQLite without ``transaction_mode: IMMEDIATE``: the
  cache's locked increments would fail with "database is locked" under concurrent requests
- ``authsite.W003`` ``SIMPLE_JWT`` sets a key authsite never reads (``SIMPLE_JWT_LIVE_KEYS``
  lists the ones it does): editing it would change nothing, so it is reported, not ignored
- ``authsite.E010`` cookie mode (``AUTH_COOKIES`` on/both) with a wildcard CORS origin (``*`` in an
  origin, ``null``, ``CORS_ALLOW_ALL_ORIGINS`` or ``CORS_ALLOWED_ORIGIN_REGEXES``): every such
  origin could act with the user's cookies; or ``AUTH_COOKIE_SAMESITE`` other than Lax/Strict
- ``authsite.W001`` (deploy) ``ALLOWED_HOSTS`` accepts any host (``*``)
- ``authsite.W002`` (deploy) throttling is off
- ``authsite.W004`` (deploy) cookie mode with cookies that are not ``Secure``
"""

from datetime import timedelta

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections

HOST_MIDDLEWARE = "authsite.middleware.AllowedHostMiddleware"
BODY_LIMIT_MIDDLEWARE = "authsite.middleware.RequestBodyLimitMiddleware"
CORS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"


def register_checks():
    """Called from ``AuthsiteConfig.ready``."""
    register(check_lifetimes, Tags.security)
    register(check_request_limits, Tags.security)
    register(check_middleware_order, Tags.security)
    register(check_cache, Tags.caches)
    register(check_simple_jwt_keys, Tags.security)
    register(check_cookie_mode, Tags.security)
    register(check_deploy, Tags.security, deploy=True)
    register(check_database_encoding, Tags.database)


def positive_duration(value):
    return isinstance(value, timedelta) and value > timedelta(0)


def check_lifetimes(app_configs=None, **kwargs):
    errors = []
    access = settings.SIMPLE_JWT.get("ACCESS_TOKEN_LIFETIME")
    if not positive_duration(access):
        errors.append(Error(
            f"The access-token lifetime must be a positive duration, not {access!r}: every token "
            "would be born expired.",
            hint="Set JWT_ACCESS_TOKEN_LIFETIME to a number of seconds, at least 1 (default 900).",
            id="authsite.E001",
        ))
    refresh = getattr(settings, "REFRESH_TOKEN_LIFETIME", None)
    if not positive_duration(refresh):
        errors.append(Error(
            f"The refresh-token lifetime must be a positive duration, not {refresh!r}.",
            hint="Set JWT_REFRESH_TOKEN_LIFETIME to a number of seconds, at least 1 (default 86400).",
            id="authsite.E002",
        ))
    grace = getattr(settings, "JWT_ROTATION_GRACE_SECONDS", 0)
    if not isinstance(grace, int) or grace < 0:
        errors.append(Error(
            f"The rotation grace window must be 0 or more seconds, not {grace!r}.",
            hint="Set JWT_ROTATION_GRACE_SECONDS to 0 or more (default 30).",
            id="authsite.E005",
        ))
    return errors


def check_request_limits(app_configs=None, **kwargs):
    errors = []
    minimum = getattr(settings, "MIN_REQUEST_BODY_BYTES", 1024)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not isinstance(limit, int) or limit < minimum:
        errors.append(Error(
            f"The request body limit must be at least {minimum} bytes, not {limit!r}: smaller limits "
            "refuse legitimate requests with 413 (a negative one refuses every request).",
            hint=f"Set MAX_REQUEST_BODY_BYTES to {minimum} or more (default 65536).",
            id="authsite.E003",
        ))
    for alias, database in settings.DATABASES.items():
        age = database.get("CONN_MAX_AGE", 0)
        if age is not None and (not isinstance(age, int) or age < 0):
            errors.append(Error(
                f"DATABASES[{alias!r}]['CONN_MAX_AGE'] must be 0 or more seconds, not {age!r}.",
                hint="Set DATABASE_CONN_MAX_AGE to 0 or more (default 60).",
                id="authsite.E004",
            ))
    return errors


def check_middleware_order(app_configs=None, **kwargs):
    middleware = list(settings.MIDDLEWARE)
    problems = []
    if not middleware or middleware[0] != HOST_MIDDLEWARE:
        problems.append(f"{HOST_MIDDLEWARE} must come first (a foreign Host is refused before any work)")
    if BODY_LIMIT_MIDDLEWARE not in middleware:
        problems.append(f"{BODY_LIMIT_MIDDLEWARE} is missing (request bodies are unlimited)")
    elif CORS_MIDDLEWARE in middleware and middleware.index(BODY_LIMIT_MIDDLEWARE) < middleware.index(CORS_MIDDLEWARE):
        problems.append(f"{BODY_LIMIT_MIDDLEWARE} must come after {CORS_MIDDLEWARE} (its 413 needs CORS headers)")
    return [
        Error(f"MIDDLEWARE: {problem}.", hint="Keep authsite.settings.MIDDLEWARE's order.", id="authsite.E006")
        for problem in problems
    ]


UNSHARED_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
DATABASE_CACHES = ("authsite.cache.DatabaseCache", "django.core.cache.backends.db.DatabaseCache")


def check_cache(app_configs=None, **kwargs):
    """The throttles count in the default cache: it must be one all server processes share."""
    errors = []
    cache = settings.CACHES.get("default", {})
    backend = cache.get("BACKEND", "")
    if backend in UNSHARED_CACHES and getattr(settings, "THROTTLE_ENABLED", True):
        errors.append(Error(
            f"CACHES['default'] is {backend}, which each server process keeps for itself: every "
            "throttle limit would be multiplied by the number of processes.",
            hint="Use authsite.cache.DatabaseCache (the default) or Redis (REDIS_URL).",
            id="authsite.E008",
        ))
    if backend in DATABASE_CACHES:
        database = settings.DATABASES.get(cache.get("OPTIONS", {}).get("DATABASE", "default"), {})
        mode = database.get("OPTIONS", {}).get("transaction_mode")
        if database.get("ENGINE") == "django.db.backends.sqlite3" and mode != "IMMEDIATE":
            errors.append(Error(
                "The database cache on SQLite needs IMMEDIATE transactions: with deferred ones, "
                "concurrent throttle increments fail with 'database is locked'.",
                hint="Keep DATABASES['default']['OPTIONS']['transaction_mode'] = 'IMMEDIATE'.",
                id="authsite.E009",
            ))
    return errors


# The SIMPLE_JWT keys authsite's code paths read: the token backend (accounts.tokens.token_backend),
# simplejwt's AccessToken (lifetime and claims) and JWTAuthentication (header parsing). The others
# (REFRESH_TOKEN_LIFETIME, ROTATE_REFRESH_TOKENS, UPDATE_LAST_LOGIN, sliding tokens, serializers'
# classes, ...) belong to simplejwt features authsite does not use: refresh tokens are authsite's
# own (JWT_REFRESH_TOKEN_LIFETIME, JWT_ROTATE_REFRESH_TOKENS).
SIMPLE_JWT_LIVE_KEYS = frozenset({
    "ALGORITHM", "SIGNING_KEY", "VERIFYING_KEY", "AUDIENCE", "ISSUER", "LEEWAY", "JSON_ENCODER",
    "ACCESS_TOKEN_LIFETIME", "TOKEN_TYPE_CLAIM", "JTI_CLAIM", "USER_ID_FIELD", "USER_ID_CLAIM",
    "AUTH_HEADER_TYPES", "AUTH_HEADER_NAME", "AUTH_TOKEN_CLASSES",
    # Read by nothing, stated so that nobody expects a key from a URL: tokens.token_backend passes None.
    "JWK_URL",
    # Read by nothing: stated so that nobody expects simplejwt to write last_login.
    "UPDATE_LAST_LOGIN",
})


def check_simple_jwt_keys(app_configs=None, **kwargs):
    inert = sorted(set(getattr(settings, "SIMPLE_JWT", {})) - SIMPLE_JWT_LIVE_KEYS)
    return [
        Warning(
            f"SIMPLE_JWT[{key!r}] is set, but authsite never reads it.",
            hint="See authsite.checks.SIMPLE_JWT_LIVE_KEYS; authsite's own token settings are "
            "JWT_REFRESH_TOKEN_LIFETIME, JWT_ROTATE_REFRESH_TOKENS and JWT_ROTATION_GRACE_SECONDS.",
            id="authsite.W003",
        )
        for key in inert
    ]


def check_cookie_mode(app_configs=None, **kwargs):
    if getattr(settings, "AUTH_COOKIES", "off") == "off":
        return []
    problems = []
    wildcards = [o for o in getattr(settings, "CORS_ALLOWED_ORIGINS", ()) if "*" in o or o == "null"]
    if wildcards:
        problems.append(f"CORS_ALLOWED_ORIGINS holds {', '.join(map(repr, wildcards))}")
    if getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False):
        problems.append("CORS_ALLOW_ALL_ORIGINS is on")
    if getattr(settings, "CORS_ALLOWED_ORIGIN_REGEXES", ()):
        problems.append("CORS_ALLOWED_ORIGIN_REGEXES is set")
    errors = [
        Error(
            f"AUTH_COOKIES={settings.AUTH_COOKIES} with a wildcard CORS origin ({problem}): every "
            "origin it admits could act with the user's cookies.",
            hint="List the exact origins of the clients in CORS_ALLOWED_ORIGINS.",
            id="authsite.E010",
        )
        for problem in problems
    ]
    samesite = getattr(settings, "AUTH_COOKIE_SAMESITE", "Lax")
    if samesite not in ("Lax", "Strict"):
        errors.append(Error(
            f"AUTH_COOKIE_SAMESITE must be Lax or Strict, not {samesite!r}: with None, every site's "
            "requests carry the cookies.",
            hint="Set AUTH_COOKIE_SAMESITE to Lax (default) or Strict.",
            id="authsite.E010",
        ))
    return errors


def check_deploy(app_configs=None, **kwargs):
    warnings = []
    if "*" in settings.ALLOWED_HOSTS:
        warnings.append(Warning(
            "ALLOWED_HOSTS contains '*': every Host header is accepted, and links the service builds "
            "(account recovery) could point at an attacker's host.",
            hint="Set DJANGO_ALLOWED_HOSTS to the names the service answers to.",
            id="authsite.W001",
        ))
    if not getattr(settings, "THROTTLE_ENABLED", True):
        warnings.append(Warning(
            "Throttling is off: sign-in, sign-up and refresh accept unlimited guesses.",
            hint="Unset THROTTLE_ENABLED (or set it to 1) outside load tests.",
            id="authsite.W002",
        ))
    if getattr(settings, "AUTH_COOKIES", "off") != "off" and not getattr(settings, "AUTH_COOKIE_SECURE", True):
        warnings.append(Warning(
            "Cookie mode with AUTH_COOKIE_SECURE off: the tokens' cookies travel over plain HTTP too.",
            hint="Unset AUTH_COOKIE_SECURE (it defaults to on with DJANGO_DEBUG=0) outside development.",
            id="authsite.W004",
        ))
    return warnings


def check_database_encoding(app_configs=None, databases=None, **kwargs):
    errors = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_encoding")
            (encoding,) = cursor.fetchone()
        if encoding != "UTF8":
            errors.append(
                Error(
                    f"The PostgreSQL database {connection.settings_dict['NAME']!r} (DATABASE_URL) is "
                    f"encoded in {encoding}, not UTF8.",
                    hint="Create it with CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0.",
                    id="authsite.E007",
                )
            )
    return errors
