"""
authsite settings.

Every value an operator may change is read from the environment here, and only here; the README's
configuration table lists them. With DJANGO_DEBUG=0 (the default) the service refuses to start
without a real DJANGO_SECRET_KEY and the access-token key (JWT_SIGNING_KEY, or JWT_PRIVATE_KEY for an
asymmetric JWT_ALGORITHM); with DJANGO_DEBUG=1 development defaults are used and a warning is logged
at start-up.

Length (~450 lines): declarations only (the reading and validating is ``authsite/env.py``, the rules
settings written in code could break are ``authsite/checks.py``); the comments beside them are
what an operator needs, which is why the module is long.
"""

import os
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mail.config import email_settings

from .env import (
    env_bool,
    env_choice,
    env_cookie_name,
    env_hostname,
    env_int,
    env_link,
    env_list,
    env_log_level,
    env_origins,
    env_rate,
    fernet_keys_from_env,
    jwt_keys_from_env,
    oidc_origins_from_env,
    oidc_providers_from_env,
    proxy_profile_from_env,
    secret_from_env,
)

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DJANGO_DEBUG", default=False)

# Development defaults: usable only with DJANGO_DEBUG=1. authsite.apps logs a warning when they apply.
DEV_SECRET_KEY = "dev-insecure-secret-key-do-not-use-in-production-0123456789abcdef"
DEV_JWT_SIGNING_KEY = "dev-insecure-jwt-signing-key-do-not-use-in-production-0123456789"
DEV_DEFAULTS_IN_USE = []


SECRET_KEY = secret_from_env("DJANGO_SECRET_KEY", DEV_SECRET_KEY, debug=DEBUG, dev_defaults_in_use=DEV_DEFAULTS_IN_USE)

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "authsite",
    "accounts",
    "nodeimport",
    "proxyauth",
    "oidc",
    "content",
    "mail",
    "recovery",
    "mfa",

    "passkeys",
]

MIDDLEWARE = [
    # First: a Host outside ALLOWED_HOSTS is refused (JSON 400) before any other work.
    "authsite.middleware.AllowedHostMiddleware",
    # Every answer that sets no caching of its own: Cache-Control: private, no-store.
    "authsite.middleware.CallerDependentCacheControlMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the docs pages' assets (and the admin's) from the installed packages.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # After CORS, so that its 413 carries Access-Control-Allow-Origin.
    "authsite.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's MessageMiddleware, its storage made only for a request that uses messages (the admin).
    "authsite.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees what the views raise: a database outage is a 503, not a 500.
    "authsite.outages.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "authsite.urls"
WSGI_APPLICATION = "authsite.wsgi.application"

# The API's paths answer with and without a trailing slash, never with a redirect.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # TEMPLATE_DIRS: directories searched first, e.g. to override the mail templates (mail/...).
        "DIRS": env_list("TEMPLATE_DIRS", []),
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, SQLite in the project root by default.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
_database = dj_database_url.parse(DATABASE_URL)
# Persistent connections (one per worker thread), checked at the start of each request, on every
# backend: opening one per request cost SQLite ~0.25 ms of each token-authenticated request
# (BENCHMARKS.md).
_database.update(CONN_MAX_AGE=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0), CONN_HEALTH_CHECKS=True)
# ...but not a connection that served a request without error less than this many seconds ago
# (authsite.connections: on MariaDB the check is a round trip as long as the hot path's query).
DATABASE_HEALTH_CHECK_IDLE_SECONDS = env_int("DATABASE_HEALTH_CHECK_IDLE_SECONDS", 1, minimum=0)
if _database["ENGINE"] == "django.db.backends.mysql":
    _database.update(
        # Isolation stays Django's READ COMMITTED; utf8mb4 for the connection, the test database
        # and (see README) the real one. An unreachable server fails a connection attempt after
        # 5 s (503, /readyz) instead of the TCP timeout of minutes.
        OPTIONS={"charset": "utf8mb4", "connect_timeout": 5, **_database.get("OPTIONS", {})},
        TEST={"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    )
    # mysql.W003 warns that MariaDB "may not" allow unique CharFields over 255 characters. The
    # identity keys (450 and 762 characters) fit InnoDB's 3072-byte index limit with the DYNAMIC
    # row format, the default since MySQL 5.7 and MariaDB 10.2 (the supported versions are newer);
    # the migrations create those indexes on every CI run.
    SILENCED_SYSTEM_CHECKS = ["mysql.W003"]
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _database.update(
        # Isolation stays PostgreSQL's READ COMMITTED (Django's default there too). An unreachable
        # server fails a connection attempt after 5 s, as on MySQL. The test database is UTF8 even
        # when the cluster's is not (a cluster made under the C locale is SQL_ASCII, where
        # varchar(150) would count bytes): template0 accepts any encoding.
        OPTIONS={"connect_timeout": 5, **_database.get("OPTIONS", {})},
        TEST={"CHARSET": "UTF8", "TEMPLATE": "template0"},
    )
elif _database["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions plus a busy timeout let concurrent writers queue instead of failing
    # with "database is locked".
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        **_database.get("OPTIONS", {}),
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

# Argon2id at OWASP's minimum cost first; the others verify (and upgrade) older hashes.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Hashes imported from the Node.js tutorial app (manage.py import_node_users); upgraded to
    # Argon2id at the first sign-in.
    "nodeimport.hashers.BcryptjsPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Static files (the Swagger UI / ReDoc assets of drf-spectacular-sidecar, the admin's) are served
# by WhiteNoise straight from the installed packages: no collectstatic step, no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
# ...so STATIC_ROOT, collectstatic's target, need not exist.
warnings.filterwarnings("ignore", message="No directory at: ")

# Request bodies: the API's are small. Larger ones get 413 (authsite.middleware). Below 1 KiB a
# sign-up with long (valid) fields would be refused; a negative limit refused every request.
MIN_REQUEST_BODY_BYTES = 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 64 * 1024, minimum=MIN_REQUEST_BODY_BYTES)

# CORS: the tutorial's clients run on http://localhost:8081.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", ["http://localhost:8081"])
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "x-access-token", "x-mfa-setup-token")

# Cookie mode (accounts.cookies, README "Cookie mode"): `off` (tokens in the body, header clients),
# `on` (tokens only in HttpOnly cookies: the Node cookie variant's contract) or `both`.
AUTH_COOKIES = env_choice("AUTH_COOKIES", ("off", "on", "both"), "off")
AUTH_COOKIE_ACCESS_NAME = env_cookie_name("AUTH_COOKIE_ACCESS_NAME", "authsite-access")
AUTH_COOKIE_REFRESH_NAME = env_cookie_name("AUTH_COOKIE_REFRESH_NAME", "authsite-refresh")
if AUTH_COOKIE_ACCESS_NAME == AUTH_COOKIE_REFRESH_NAME:
    raise ImproperlyConfigured(
        "AUTH_COOKIE_ACCESS_NAME and AUTH_COOKIE_REFRESH_NAME must be two different cookie names."
    )
# The access cookie reaches the API only; the refresh cookie only /api/auth (refreshtoken, signout).
AUTH_COOKIE_ACCESS_PATH = "/api"
AUTH_COOKIE_REFRESH_PATH = "/api/auth"
AUTH_COOKIE_SAMESITE = env_choice("AUTH_COOKIE_SAMESITE", ("Lax", "Strict"), "Lax")
# Secure unless DJANGO_DEBUG=1, or turned off explicitly (plain-HTTP development on another host).
AUTH_COOKIE_SECURE = env_bool("AUTH_COOKIE_SECURE", default=not DEBUG)
AUTH_COOKIE_DOMAIN = os.environ.get("AUTH_COOKIE_DOMAIN", "").strip() or None
# Credentialed CORS for the exact configured origins only: a wildcard would let any site act with
# the user's cookies.
CORS_ALLOW_CREDENTIALS = AUTH_COOKIES != "off"
if CORS_ALLOW_CREDENTIALS and any("*" in origin or origin == "null" for origin in CORS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured(
        f"CORS_ALLOWED_ORIGINS must list exact origins with AUTH_COOKIES={AUTH_COOKIES}, not a wildcard or "
        "'null': every listed origin may act with the user's cookies."
    )

# Shared cache (throttle counters): Redis when REDIS_URL is set, else a database table (created by
# `migrate`; see accounts.apps). Either way every server process sees the same counters.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "authsite")
DATABASE_CACHE = {
    "BACKEND": "authsite.cache.DatabaseCache",
    "LOCATION": "authsite_cache",
    "KEY_PREFIX": CACHE_KEY_PREFIX,
    # authsite.cache.DatabaseCache never culls (Django's would, beyond MAX_ENTRIES, resetting
    # everyone's throttle counters); `manage.py purgesessions` deletes the expired rows.
}
REDIS_CACHE = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": REDIS_URL,
    "KEY_PREFIX": CACHE_KEY_PREFIX,
}
CACHES = {"default": REDIS_CACHE if REDIS_URL else DATABASE_CACHE}

# Throttling (accounts.throttling): DRF rate syntax, "<count>/<s|min|hour|day>".
THROTTLE_ENABLED = env_bool("THROTTLE_ENABLED", default=True)
# Proxies in front of the service that append to X-Forwarded-For; 0: use the socket's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")


THROTTLE_RATES = {
    "signin_ip": env_rate("THROTTLE_SIGNIN_IP", "20/min"),
    "signin_user": env_rate("THROTTLE_SIGNIN_USER", "100/hour"),
    "signup_ip": env_rate("THROTTLE_SIGNUP_IP", "20/hour"),
    "refresh_ip": env_rate("THROTTLE_REFRESH_IP", "60/min"),
    # Account recovery and email (recovery.throttling); allauth's defaults or stricter.
    "forgot_ip": env_rate("THROTTLE_FORGOT_IP", "20/min"),
    "forgot_email": env_rate("THROTTLE_FORGOT_EMAIL", "5/min"),
    "reset_ip": env_rate("THROTTLE_RESET_IP", "20/min"),
    "email_verify_ip": env_rate("THROTTLE_EMAIL_VERIFY_IP", "20/min"),
    "email_resend_user": env_rate("THROTTLE_EMAIL_RESEND_USER", "1/180s"),
    "email_change_user": env_rate("THROTTLE_EMAIL_CHANGE_USER", "1/min"),
}

REST_FRAMEWORK = {
    # The proxy authenticator comes first: a present assertion is always checked (and it does
    # nothing while PROXY_AUTH is off); see proxyauth.authentication.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "proxyauth.authentication.ProxyAssertionAuthentication",
        "accounts.cookie_authentication.CookieTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PARSER_CLASSES": [
        "authsite.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "authsite.negotiation.JSONOnlyContentNegotiation",
    "EXCEPTION_HANDLER": "authsite.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

# OpenAPI 3 schema (/api/schema) and its docs pages (/api/docs, /api/redoc), assets served locally.
SPECTACULAR_SETTINGS = {
    "TITLE": "authsite API",
    "DESCRIPTION": (
        "JWT authentication with roles: a drop-in backend for the React, Vue and Angular clients "
        "of the Node tutorial. Send the access token as `x-access-token: <jwt>` or as "
        "`Authorization: Bearer <jwt>`; every JSON error body is `{\"message\": ...}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No online validator badge: the page must not reach out to the internet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api",
    "PREPROCESSING_HOOKS": ["authsite.schema.without_trailing_slash"],
    # drf-spectacular's default, then the token-free bodies of AUTH_COOKIES=on.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.cookie_schema.token_bodies_in_cookie_mode",
    ],
}

# Access tokens: simplejwt, the algorithm pinned (tokens with any other `alg` are refused). HS256
# (default) signs with the shared secret JWT_SIGNING_KEY; RS256, ES256 and EdDSA sign with
# JWT_PRIVATE_KEY and publish its public key, and JWT_PREVIOUS_PUBLIC_KEYS, at /.well-known/jwks.json.
JWT_ALGORITHM = os.environ.get("JWT_ALGORITHM", "").strip() or "HS256"
JWT_SIGNING_KEY, JWT_VERIFYING_KEY, JWT_PREVIOUS_PUBLIC_KEYS = jwt_keys_from_env(
    JWT_ALGORITHM, DEV_JWT_SIGNING_KEY, debug=DEBUG, dev_defaults_in_use=DEV_DEFAULTS_IN_USE
)
SIMPLE_JWT = {
    "ALGORITHM": JWT_ALGORITHM,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "VERIFYING_KEY": JWT_VERIFYING_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_TOKEN_LIFETIME", 900, minimum=1)),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    "UPDATE_LAST_LOGIN": False,
    # Every token names its issuer (and audience, when configured), and both are verified.
    "ISSUER": os.environ.get("JWT_ISSUER") or "authsite",
    "AUDIENCE": os.environ.get("JWT_AUDIENCE") or None,
    "LEEWAY": 0,
    # No key is ever fetched from a URL a token names (jku, x5u) or taken from the token (jwk).
    "JWK_URL": None,
}
# Refresh tokens are opaque and stored hashed (accounts.models.Session); this is their lifetime.
REFRESH_TOKEN_LIFETIME = timedelta(seconds=env_int("JWT_REFRESH_TOKEN_LIFETIME", 86400, minimum=1))
# Rotation (off by default: the tutorial's clients keep resending the sign-in refresh token).
JWT_ROTATE_REFRESH_TOKENS = env_bool("JWT_ROTATE_REFRESH_TOKENS", default=False)
JWT_ROTATION_GRACE_SECONDS = env_int("JWT_ROTATION_GRACE_SECONDS", 30, minimum=0)
# Session records kept per user; the oldest beyond this are deleted at the next sign-in.
SESSIONS_PER_USER = env_int("SESSIONS_PER_USER", 10)
if SESSIONS_PER_USER < 1:
    raise ImproperlyConfigured("SESSIONS_PER_USER must be at least 1.")

# Sign-in through an identity-aware proxy (proxyauth): off by default; `iap` (Google IAP),
# `cloudflare` (Cloudflare Access) or `generic`. The profile's presets fill what is not set.
PROXY_AUTH = os.environ.get("PROXY_AUTH", "").strip().lower() or "off"
PROXY_AUTH_PROFILE = proxy_profile_from_env(PROXY_AUTH)

# Sign-in with OpenID Connect providers (oidc/): OIDC_PROVIDERS=google,corp and per provider
# OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _SCOPES (oidc.providers). None by default.
OIDC_PROVIDERS = oidc_providers_from_env()
# Where the flow may end (the SPA): origins; by default the CORS origins.
OIDC_REDIRECT_ORIGINS = oidc_origins_from_env(CORS_ALLOWED_ORIGINS)
OIDC_DEFAULT_NEXT = (OIDC_REDIRECT_ORIGINS[0].rstrip("/") + "/") if OIDC_REDIRECT_ORIGINS else ""
OIDC_HTTP_TIMEOUT = env_int("OIDC_HTTP_TIMEOUT", 5, minimum=1)

# Mail (mail/, recovery/): the transport from EMAIL_URL (console by default), sent from the outbox
# by `manage.py mailworker`, never inside a request.
globals().update(email_settings(os.environ.get("EMAIL_URL")))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "authsite <noreply@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_NAME = os.environ.get("SITE_NAME", "").strip() or "authsite"
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 15)
MAIL_RETRY_BASE_SECONDS = env_int("MAIL_RETRY_BASE_SECONDS", 30)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 3600)
MAIL_KEEP_DAYS = env_int("MAIL_KEEP_DAYS", 7)
if min(MAIL_MAX_ATTEMPTS, MAIL_RETRY_BASE_SECONDS, MAIL_RETRY_MAX_SECONDS, MAIL_KEEP_DAYS) < 1:
    raise ImproperlyConfigured(
        "MAIL_MAX_ATTEMPTS, MAIL_RETRY_BASE_SECONDS, MAIL_RETRY_MAX_SECONDS and MAIL_KEEP_DAYS must be at least 1."
    )


# Account recovery (recovery/): where the mailed links point, and how long they work.
SITE_URL = env_link("SITE_URL", "http://localhost:8080", []).rstrip("/")
PASSWORD_RESET_URL = env_link("PASSWORD_RESET_URL", SITE_URL + "/account/reset/{uid}/{token}/", ["uid", "token"])
EMAIL_VERIFY_URL = env_link("EMAIL_VERIFY_URL", SITE_URL + "/account/email/{token}/", ["token"])
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
EMAIL_VERIFY_TIMEOUT = env_int("EMAIL_VERIFY_TIMEOUT", 3 * 86400)
EMAIL_VERIFICATION = os.environ.get("EMAIL_VERIFICATION", "").strip().lower() or "optional"
if EMAIL_VERIFICATION not in ("optional", "mandatory"):
    raise ImproperlyConfigured(f"EMAIL_VERIFICATION must be optional or mandatory, not {EMAIL_VERIFICATION!r}.")
if min(PASSWORD_RESET_TIMEOUT, EMAIL_VERIFY_TIMEOUT) < 1:
    raise ImproperlyConfigured("PASSWORD_RESET_TIMEOUT and EMAIL_VERIFY_TIMEOUT must be at least 1 (seconds).")

# Second factor (mfa/): TOTP secrets are encrypted with MFA_ENCRYPTION_KEYS (comma-separated Fernet
# keys; the first encrypts, every one decrypts: rotate by putting a new key first, then running
# `manage.py mfa reencrypt`, then dropping the old one). Unset: a key derived from SECRET_KEY
# (check --deploy warns). MFA_REQUIRED_ROLES: roles whose holders must have a second factor.
MFA_ENCRYPTION_KEYS, MFA_ENCRYPTION_KEYS_SET = fernet_keys_from_env("MFA_ENCRYPTION_KEYS", SECRET_KEY)
MFA_REQUIRED_ROLES = env_list("MFA_REQUIRED_ROLES", [])
MFA_ISSUER = os.environ.get("MFA_ISSUER", "").strip() or SITE_NAME

# Passkeys (passkeys/, WebAuthn): the relying party. PASSKEY_RP_ID is the host name passkeys are
# bound to (the site's domain or a parent of it); PASSKEY_ORIGINS the exact origins pages calling
# the passkey endpoints are served from (each one's host must be PASSKEY_RP_ID or a subdomain:
# check passkeys.E001). The defaults fit `./dev serve` on http://localhost:8080.
PASSKEY_RP_ID = env_hostname("PASSKEY_RP_ID", "localhost")
PASSKEY_RP_NAME = os.environ.get("PASSKEY_RP_NAME", "").strip() or SITE_NAME
PASSKEY_ORIGINS = env_origins("PASSKEY_ORIGINS", ["http://localhost:8080"])
# How long a ceremony's challenge (begin ... complete) stays usable, seconds.
PASSKEY_CHALLENGE_TIMEOUT = env_int("PASSKEY_CHALLENGE_TIMEOUT", 300, minimum=10)

# HTTPS: for production behind a TLS-terminating proxy (README, "Production").
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=False)
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Error reports star passwords, tokens and proxy assertions (authsite.reporting).
DEFAULT_EXCEPTION_REPORTER_FILTER = "authsite.reporting.ExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["stderr"], "level": env_log_level("LOG_LEVEL", "INFO")},
    "loggers": {
        # Security events (accounts.security): one JSON object per line, no tokens or passwords.
        "authsite.security": {"level": "INFO", "propagate": True},
        # Request errors are logged by authsite.exceptions with their traceback, once.
        "django.request": {"level": "ERROR", "propagate": True},
    },
}
