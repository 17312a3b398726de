"""
Shared fixtures.

The three roles come from migration 0002. A test marked ``transaction=True`` must also pass
``serialized_rollback=True``, or the flush after it would leave later tests without roles.
"""

import os
import threading

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.apps import create_cache_table
from accounts.models import Role, Session, User, load_role_names
from accounts.tokens import AccessToken
from tests.proxy import KeyServer, iap_profile
from tests.servers import ProductionServer

PASSWORD = "correct horse 12"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mariadb: tests of MariaDB's own behaviour, deselected when the suite's database is another"
    )


def pytest_collection_modifyitems(config, items):
    """
    Tests marked ``mariadb`` are deselected (not collected as skipped) when the suite runs on SQLite
    or PostgreSQL: CI runs the whole suite on each, MariaDB included, so each runs where it applies.
    """
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
        return
    deselected = [item for item in items if item.get_closest_marker("mariadb")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("mariadb")]


def on_mysql():
    return connection.vendor == "mysql"


def concurrently(count, work):
    """
    Run ``work(i)`` for ``i`` in ``range(count)``, each in its own thread (and database
    connection), all released at once; returns the results in order. For tests marked
    ``transaction=True``.
    """
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """
    The test database, with the database cache table even when REDIS_URL is set: tests switch
    cache backends, and creating a table inside a test would commit its transaction on MySQL.
    """
    with django_db_blocker.unblock(), override_settings(CACHES={"default": settings.DATABASE_CACHE}):
        call_command("createcachetable", verbosity=0)


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def fresh_cache(request, django_db_blocker):
    """
    Every test that uses the database starts with empty caches (throttle counters), whichever the
    backend, and with the role names loaded, as in a process that has served a request (query
    counts are then the same whichever test runs first); the others cannot reach the database.
    """
    if request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames):
        request.getfixturevalue("django_db_setup")
        with django_db_blocker.unblock():
            for cache in caches.all():
                cache.clear()
            load_role_names()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def make_user(db):
    """``make_user("alice", roles=["user", "admin"])``: a user with exactly those roles."""

    def make(username="alice", email=None, password=PASSWORD, roles=(Role.USER,), **fields):
        return User.objects.create_user(
            username,
            email or f"{username}@example.com",
            password,
            roles=list(Role.objects.filter(name__in=roles)),
            **fields,
        )

    return make


@pytest.fixture
def token_for(db):
    """``token_for(user)``: a fresh access token (and its session) for ``user``."""

    def issue(user):
        session, _ = Session.objects.start(user)
        return str(AccessToken.for_session(session))

    return issue


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def moderator(make_user):
    return make_user("mod", roles=[Role.USER, Role.MODERATOR])


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", roles=[Role.USER, Role.ADMIN])


@pytest.fixture
def signin(api):
    """``signin(user)``: sign ``user`` in through the API; returns the response body."""

    def sign_in(user, password=PASSWORD, **extra):
        response = api.post(
            "/api/auth/signin", {"username": user.username, "password": password}, format="json", **extra
        )
        assert response.status_code == 200, response.content
        return response.json()

    return sign_in


class SMTPFixture:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; ``messages`` are the parsed mails received."""

    def __init__(self):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.messages = []
        self.controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """The SMTP server, and Django's SMTP backend pointed at it."""
    server = SMTPFixture()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def run_mailworker(db):
    """``run_mailworker()``: what ``manage.py mailworker --once`` does: send everything due."""
    from mail.worker import deliver_due

    def run():
        total = 0
        while handled := deliver_due():
            total += handled
        return total

    return run


def text_of(message):
    """The text/plain part of a parsed mail."""
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message):
    """The one http(s) link in a mail's text part."""
    import re

    links = re.findall(r"https?://\S+", text_of(message))
    assert len(links) == 1, links
    return links[0]


@pytest.fixture(scope="module")
def production_server():
    """
    ``production_server(env={...})``: start ``server.py`` (tests/servers.py, ``ProductionServer``)
    and return it, ready; every server started this way is stopped at the end of the test module,
    so a module can share one server between its tests.
    """
    started = []

    def start(env=None, **options):
        server = ProductionServer(env=env, **options)
        started.append(server.__enter__())
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)


# --- Outages -------------------------------------------------------------------------------------

CACHE_TABLE = settings.DATABASE_CACHE["LOCATION"]


@pytest.fixture
def database_down():
    """
    Point the default connection at a database that is not there (a closed port on MariaDB and
    PostgreSQL, a missing file on SQLite).
    """
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/authsite/db.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=9)

    def restore():
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    yield restore
    restore()


@pytest.fixture
def without_cache_table(transactional_db):
    """The database cache's table dropped (as on a database migrated while REDIS_URL was set)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(CACHE_TABLE)}")
    yield
    create_cache_table()


# --- Throttling: each throttling test runs against the database cache and against Redis -----------

# A developer running several checkouts at once gives each its own Redis database.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
REDIS_PREFIX = "authsite-test-i3"

DEFAULT_RATES = {"signin_ip": "100/min", "signin_user": "100/hour", "signup_ip": "100/min", "refresh_ip": "100/min"}


CACHE_BACKENDS = {
    "database": settings.DATABASE_CACHE,
    "redis": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": REDIS_PREFIX,
    },
}


@pytest.fixture(params=sorted(CACHE_BACKENDS))
def shared_cache(request, settings):
    """Each throttling test runs against the database cache and against Redis (db 3)."""
    settings.CACHES = {"default": CACHE_BACKENDS[request.param]}
    cache.clear()  # Redis: FLUSHDB on db 3 only
    yield request.param
    cache.clear()


@pytest.fixture
def rates(settings, shared_cache):
    def set_rates(**scopes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**DEFAULT_RATES, **scopes},
        }

    set_rates()
    return set_rates


# --- Identity-aware proxy (helpers in tests/proxy.py) --------------------------------------------

@pytest.fixture
def key_server():
    server = KeyServer()
    yield server
    server.close()


@pytest.fixture
def proxy_on(key_server, db):
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(key_server.url("/jwks"), jwks_timeout=2)):
        yield key_server


# --- Access-token claims -------------------------------------------------------------------------

@pytest.fixture
def claims(alice, token_for):
    """The claims of a valid access token of alice's (re-signed with ``forge`` of tests/test_token_hygiene.py per test)."""
    return jwt.decode(token_for(alice), options={"verify_signature": False})


# --- OpenID Connect ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def op():
    """A real OpenID Provider (tests/oidcop.py) for this module, redirecting to the test client."""
    from tests.oidcop import CALLBACK, OpenIDProvider

    with OpenIDProvider([CALLBACK]) as provider:
        yield provider


@pytest.fixture
def corp(op, settings):
    """authsite configured with ``op`` as provider ``corp``."""
    from oidc import discovery
    from oidc.providers import OIDCProvider
    from tests.oidcop import CLIENT_ID, CLIENT_SECRET, SITE, SPA

    provider = OIDCProvider(name="corp", issuer=op.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    settings.OIDC_PROVIDERS = {"corp": provider}
    settings.SITE_URL = SITE
    settings.OIDC_REDIRECT_ORIGINS = [SPA]
    discovery.clear()
    return provider


@pytest.fixture
def cookie_mode(settings):
    """``cookie_mode("on")``: switch the mode as the settings module would."""

    def switch(mode):
        settings.AUTH_COOKIES = mode
        settings.CORS_ALLOW_CREDENTIALS = mode != "off"
        settings.AUTH_COOKIE_SECURE = True

    return switch


# --- Second factor (mfa/) --------------------------------------------------------------------------

# A fixed instant for the TOTP clock, in the middle of a 30-second step.
TOTP_T0 = 1_800_000_015


@pytest.fixture
def totp_clock():
    """
    The TOTP clock (``mfa.clock``), fixed at ``TOTP_T0``; ``totp_clock.set(seconds)`` moves it.
    Codes come from pyotp for the same instant (``totp_clock.code(secret)``). Nothing else is mocked.
    """
    import pyotp

    from mfa import clock

    class Clock:
        def __init__(self):
            self.set(TOTP_T0)

        def set(self, seconds):
            self.now = seconds
            clock.set_time(seconds)

        def code(self, secret, offset=0):
            return pyotp.TOTP(secret).at(self.now + offset)

    yield Clock()
    clock.set_time(None)


@pytest.fixture
def enable_totp(api, token_for, totp_clock):
    """``enable_totp(user)``: turn TOTP on through the API; returns ``(secret, recovery codes)``."""

    def enable(user):
        token = token_for(user)
        setup = api.post("/api/auth/mfa/totp/setup", HTTP_X_ACCESS_TOKEN=token)
        assert setup.status_code == 200, setup.content
        secret = setup.json()["secret"]
        confirm = api.post(
            "/api/auth/mfa/totp/confirm", {"code": totp_clock.code(secret)}, format="json", HTTP_X_ACCESS_TOKEN=token
        )
        assert confirm.status_code == 200, confirm.content
        totp_clock.set(totp_clock.now + 30)  # the confirming code is used up: the next step
        return secret, confirm.json()["recoveryCodes"]

    return enable


@pytest.fixture
def mailoutbox_rows(db):
    """``mailoutbox_rows("kind")``: the outbox rows of that kind, oldest first."""
    from mail.models import OutboxMessage

    def rows(kind):
        return list(OutboxMessage.objects.filter(kind=kind).order_by("pk"))

    return rows


@pytest.fixture
def account_rate(settings):
    """``account_rate("2/hour")``: the per-account sign-in limit for this test (restored after)."""

    def set_rate(rate):
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "signin_user": rate}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return set_rate


# --- Passkeys (passkeys/) ---------------------------------------------------------------------------

@pytest.fixture
def authenticator():
    """A software WebAuthn authenticator (tests/webauthn_authenticator.py) on the allowed origin."""
    from tests.webauthn_authenticator import SoftAuthenticator

    return SoftAuthenticator()


@pytest.fixture
def as_user(api, token_for):
    """``as_user(user)``: the API client, sending ``user``'s access token."""

    def use(user):
        api.credentials(HTTP_X_ACCESS_TOKEN=token_for(user))
        return api

    return use


@pytest.fixture
def register(as_user, authenticator):
    """``register(user, name=None, **bend)``: passkeys/register/begin + complete; the complete response."""

    def run(user, name=None, **bend):
        client = as_user(user)
        options = client.post("/api/auth/passkeys/register/begin", format="json").json()
        body = {"credential": authenticator.create(options, **bend)}
        if name is not None:
            body["name"] = name
        return client.post("/api/auth/passkeys/register/complete", body, format="json")

    return run
