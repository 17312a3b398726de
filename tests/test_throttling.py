"""
Throttling: sign-in per client address and per account (failures), sign-up and refresh per client
address; counters in the shared cache (the database table, or Redis with REDIS_URL); 429
{"message": ...} with Retry-After; THROTTLE_ENABLED=0 turns it off; TRUSTED_PROXY_COUNT decides
which X-Forwarded-For entry is the client.
"""

import logging
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings as django_settings_override
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts.models import Session
from accounts.throttling import FailedSigninThrottle, RateThrottle, SigninIPThrottle
from tests.conftest import CACHE_BACKENDS, PASSWORD, REDIS_PREFIX, REDIS_URL, concurrently

HOUR = 3600
def signin(api, username="alice", password=PASSWORD, ip="192.0.2.1", **headers):
    return api.post(
        "/api/auth/signin",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=ip,
        **headers,
    )


def assert_throttled(response, period=60):
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"message"}
    assert body["message"].startswith("Request was throttled.")
    # The sliding-window estimate can hold a client back for up to two periods.
    assert 1 <= int(response["Retry-After"]) <= 2 * period


def test_signin_is_throttled_per_client_address(api, alice, rates):
    rates(signin_ip="3/min")
    for _ in range(3):
        assert signin(api).status_code == 200
    assert_throttled(signin(api))
    assert_throttled(signin(api, password="wrong"))
    assert signin(api, ip="192.0.2.2").status_code == 200  # another client: its own bucket


def trust_proxies(settings, count):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


def test_trusted_proxy_count_is_drfs_num_proxies():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT == 0


def test_a_forged_x_forwarded_for_opens_no_fresh_bucket(api, alice, rates, settings):
    trust_proxies(settings, 0)
    rates(signin_ip="2/min")
    for n in range(2):
        assert signin(api, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code == 200
    assert_throttled(signin(api, HTTP_X_FORWARDED_FOR="198.51.100.77"))


def test_behind_one_trusted_proxy_the_client_is_the_last_forwarded_address(api, alice, rates, settings):
    trust_proxies(settings, 1)
    rates(signin_ip="2/min")
    proxy = "10.0.0.1"
    # The client forges leading entries; the proxy appends the address it saw (203.0.113.9).
    for forged in ("1.1.1.1", "2.2.2.2"):
        response = signin(api, ip=proxy, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.9")
        assert response.status_code == 200
    assert_throttled(signin(api, ip=proxy, HTTP_X_FORWARDED_FOR="3.3.3.3, 203.0.113.9"))
    # Another client behind the same proxy has its own bucket.
    assert signin(api, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200


def test_ipv6_clients_are_counted_per_64_network(api, alice, rates):
    rates(signin_ip="2/min")
    for host in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"):
        assert signin(api, ip=host).status_code == 200
    assert_throttled(signin(api, ip="2001:db8:1:2:abcd:1234:5678:9abc"))
    assert signin(api, ip="2001:db8:1:3::1").status_code == 200  # the next /64: its own bucket
    assert signin(api, ip="::ffff:192.0.2.7").status_code == 200  # IPv4-mapped: that IPv4 address
    assert signin(api, ip="192.0.2.7").status_code == 200
    assert_throttled(signin(api, ip="192.0.2.7"))


def test_failed_signins_are_throttled_per_account_across_addresses(api, alice, rates):
    rates(signin_user="3/hour")
    for n in range(3):
        response = signin(api, password="wrong", ip=f"192.0.2.{n}")
        assert response.status_code == 401
    # The account is now locked for guessing from anywhere, under any spelling of its name.
    assert_throttled(signin(api, ip="192.0.2.50"), HOUR)
    assert_throttled(signin(api, username="ALICE", password="wrong", ip="192.0.2.51"), HOUR)
    # Other accounts are not affected.
    assert signin(api, username="bob", password="wrong", ip="192.0.2.52").status_code == 401


@pytest.mark.parametrize(
    "spelling",
    [" alice", "alice ", "\talice\t", "\u3000alice\u3000", "\n alice", "ＡＬＩＣＥ", "Alice", " ALICE\t"],
)
def test_no_spelling_of_the_name_opens_a_fresh_account_bucket(api, alice, rates, spelling):
    """The bucket is the account sign-in looks up: whitespace stripped, caseless, width-folded."""
    rates(signin_user="3/hour")
    for n in range(3):
        assert signin(api, password="wrong", ip=f"192.0.2.{n}").status_code == 401
    assert_throttled(signin(api, username=spelling, password="wrong", ip="192.0.2.60"), HOUR)
    assert_throttled(signin(api, username=spelling, ip="192.0.2.61"), HOUR)


def test_the_right_password_under_another_spelling_is_not_counted(api, alice, rates):
    rates(signin_user="2/hour")
    for n in range(4):
        assert signin(api, username=" ALICE\t", ip=f"192.0.2.{n}").status_code == 200
    for n in range(2):
        assert signin(api, username="alice", password="wrong", ip=f"192.0.2.{n}").status_code == 401
    assert_throttled(signin(api, username="\u3000Alice", password="wrong"), HOUR)


def test_unknown_usernames_are_throttled_like_known_ones(api, db, rates):
    rates(signin_user="2/hour")
    for _ in range(2):
        assert signin(api, username="nobody").status_code == 401
    assert_throttled(signin(api, username="nobody"), HOUR)


def test_successful_signins_do_not_count_against_the_account(api, alice, rates):
    rates(signin_user="2/hour")
    for n in range(5):
        assert signin(api, ip=f"192.0.2.{n}").status_code == 200


def test_wrong_passwords_on_email_change_count_against_the_account_malformed_bodies_do_not(api, alice, rates, token_for):
    rates(signin_user="2/hour")
    token = token_for(alice)
    for _ in range(3):  # refused unread: not counted
        response = api.post("/api/auth/email", {"password": "wrong"}, format="json", HTTP_X_ACCESS_TOKEN=token)
        assert response.status_code == 400
    for _ in range(2):
        response = api.post(
            "/api/auth/email", {"password": "wrong", "newEmail": "new@example.com"}, format="json",
            HTTP_X_ACCESS_TOKEN=token,
        )
        assert response.status_code == 400
    assert_throttled(signin(api), HOUR)


def test_malformed_password_changes_do_not_count_against_the_account(api, alice, rates, token_for):
    # No password was checked: a body the serializer refuses is no guess at the account.
    rates(signin_user="2/hour")
    token = token_for(alice)
    for _ in range(3):
        response = api.post(
            "/api/auth/password", {"oldPassword": "wrong"}, format="json", HTTP_X_ACCESS_TOKEN=token
        )
        assert response.status_code == 400
    assert signin(api).status_code == 200


def test_failed_password_changes_count_against_the_account(api, alice, rates, token_for):
    rates(signin_user="2/hour")
    token = token_for(alice)
    for _ in range(2):
        response = api.post(
            "/api/auth/password",
            {"oldPassword": "wrong", "newPassword": "brand new horse 99"},
            format="json",
            HTTP_X_ACCESS_TOKEN=token,
        )
        assert response.status_code == 400
    response = api.post(
        "/api/auth/password",
        {"oldPassword": PASSWORD, "newPassword": "brand new horse 99"},
        format="json",
        HTTP_X_ACCESS_TOKEN=token,
    )
    assert_throttled(response, HOUR)
    assert_throttled(signin(api), HOUR)
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_signup_is_throttled_per_client_address(api, db, rates):
    rates(signup_ip="2/min")
    for n in range(2):
        response = api.post(
            "/api/auth/signup",
            {"username": f"user{n}", "email": f"user{n}@example.com", "password": PASSWORD},
            format="json",
        )
        assert response.status_code == 200
    response = api.post(
        "/api/auth/signup",
        {"username": "user9", "email": "user9@example.com", "password": PASSWORD},
        format="json",
    )
    assert_throttled(response)


def test_refresh_is_throttled_per_client_address(api, alice, rates):
    rates(refresh_ip="2/min")
    _, refresh_token = Session.objects.start(alice)
    for _ in range(2):
        response = api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")
        assert response.status_code == 200
    response = api.post("/api/auth/refreshtoken", {"refreshToken": refresh_token}, format="json")
    assert_throttled(response)


def test_throttle_enabled_0_turns_throttling_off(api, alice, rates, settings):
    settings.THROTTLE_ENABLED = False
    rates(signin_ip="1/min", signin_user="1/hour")
    for _ in range(3):
        assert signin(api, password="wrong").status_code == 401
    assert signin(api).status_code == 200


def test_throttled_requests_are_logged_without_secrets(api, alice, rates, caplog):
    rates(signin_ip="1/min")
    signin(api)
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        assert_throttled(signin(api, password="s3cret-guess"))
    messages = [record.getMessage() for record in caplog.records if record.name == "authsite.security"]
    assert any('"event": "throttled"' in m and '"scope": "signin_ip"' in m for m in messages)
    assert not any("s3cret-guess" in m for m in messages)


def test_the_counters_live_in_the_shared_cache(api, alice, rates, shared_cache):
    """The counters are in the database table or in Redis, where every server process sees them."""
    rates(signin_ip="5/min")
    signin(api)
    if shared_cache == "redis":
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{REDIS_PREFIX}:*throttle_signin_ip_192.0.2.1:*")
        assert len(keys) == 1
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM authsite_cache")
            keys = [row[0] for row in cursor.fetchall()]
        assert any("throttle_signin_ip_192.0.2.1:" in key for key in keys)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrate_creates_the_cache_table(settings):
    """A fresh `migrate` (./dev serve, deployments) leaves the database cache usable."""
    settings.CACHES = {"default": django_settings.DATABASE_CACHE}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS authsite_cache")
    assert "authsite_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert "authsite_cache" in connection.introspection.table_names()
    cache.set("probe", 1)
    assert cache.get("probe") == 1


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, set by hand: ``clock.now = ...``."""

    class Clock:
        now = 1_800_000_000.0  # a multiple of 60 and 3600: window boundaries are easy to read

    monkeypatch.setattr(RateThrottle, "timer", staticmethod(lambda: Clock.now))
    return Clock


def test_retry_after_is_when_the_next_request_passes(api, alice, rates, clock):
    rates(signin_ip="3/min")
    clock.now += 30
    for _ in range(3):
        assert signin(api).status_code == 200
    refused = signin(api)
    assert_throttled(refused)
    wait = int(refused["Retry-After"])
    clock.now += wait - 1
    assert signin(api).status_code == 429
    clock.now += 1
    assert signin(api).status_code == 200


def test_the_window_slides(api, alice, rates, clock):
    rates(signin_ip="4/min")
    for _ in range(4):
        assert signin(api).status_code == 200
    clock.now += 60 + 30  # half of the previous window still counts: 2 of 4
    assert signin(api).status_code == 200
    assert signin(api).status_code == 200
    assert signin(api).status_code == 429
    clock.now += 120  # both busy windows are out of reach
    for _ in range(4):
        assert signin(api).status_code == 200


def test_a_refused_request_counts_nowhere(api, alice, rates):
    rates(signin_ip="2/min", signin_user="3/hour")
    for _ in range(2):
        assert signin(api, password="wrong").status_code == 401
    for _ in range(3):
        assert_throttled(signin(api, password="wrong"))  # refused per address: no guess made
    # From elsewhere, the account still has its third guess.
    assert signin(api, password="wrong", ip="192.0.2.99").status_code == 401
    assert_throttled(signin(api, password="wrong", ip="192.0.2.98"), HOUR)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("scope, rate, username", [("signin_ip", "5/min", "alice"), ("signin_user", "5/hour", "alice")])
def test_a_burst_of_concurrent_requests_is_cut_at_the_limit(alice, rates, scope, rate, username):
    """16 simultaneous wrong guesses against a limit of 5: exactly 5 are let through."""
    rates(**{scope: rate})

    def guess(n):
        ip = "192.0.2.1" if scope == "signin_ip" else f"192.0.2.{n}"
        return signin(APIClient(), username=username, password="wrong", ip=ip).status_code

    statuses = concurrently(16, guess)
    assert sorted(statuses) == [401] * 5 + [429] * 11


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_shared_cache_increments_atomically(shared_cache):
    cache.set("counter", 0, 60)

    def bump(_):
        for _ in range(10):
            cache.incr("counter")

    concurrently(8, bump)
    assert cache.get("counter") == 80
    with pytest.raises(ValueError):
        cache.incr("no-such-counter")


def test_many_other_keys_do_not_cull_the_counters(api, alice, rates, shared_cache):
    """Django's database cache culls beyond MAX_ENTRIES; authsite's holds a million."""
    rates(signin_user="2/hour")
    for _ in range(2):
        assert signin(api, password="wrong").status_code == 401
    cache.set_many({f"~filler-{n}": n for n in range(400)}, 3600)  # sorted after the counters
    assert_throttled(signin(api, password="wrong"), HOUR)


def test_a_refund_after_its_window_ended_gives_no_credit(db, rates, clock):
    rates(signin_user="2/min")
    request = Request(APIRequestFactory().post("/api/auth/signin"))
    counted = FailedSigninThrottle(username="alice")
    assert counted.allow_request(request, None)
    clock.now += 60  # the sign-in took long: its window is over when the password turns out right
    refunded = FailedSigninThrottle(username="alice")
    refunded.refund(request)  # never counted anything: nothing to take back
    refunded.prepare(request, None)
    assert cache.get(refunded.window_key(refunded.window)) is None  # no -1 credit in the new one
    assert cache.get(counted.window_key(counted.window)) == 1


def test_a_refund_takes_back_exactly_the_window_the_request_was_counted_in(db, rates, clock):
    rates(signin_user="2/min")
    request = Request(APIRequestFactory().post("/api/auth/signin"))
    counted = FailedSigninThrottle(username="alice")
    assert counted.allow_request(request, None)
    clock.now += 60
    attacker = FailedSigninThrottle(username="alice")
    assert attacker.allow_request(request, None)  # a guess in the new window: count 1
    counted.refund(request)  # the slow, successful sign-in from before
    assert cache.get(attacker.window_key(attacker.window)) == 1
    assert cache.get(counted.window_key(counted.window)) == 0
    counted.refund(request)  # a second refund takes nothing more
    assert cache.get(counted.window_key(counted.window)) == 0


@pytest.mark.parametrize("previous, current", [(0, 1), (0, 4), (0, 0)])
def test_retry_after_never_divides_by_an_empty_previous_window(previous, current):
    """A concurrent refund can leave the counts under the limit by the time wait() is asked."""
    throttle = SigninIPThrottle()
    throttle.num_requests, throttle.duration, throttle.elapsed = 5, HOUR, 0.5
    throttle.previous, throttle.current = previous, current
    assert throttle.wait() == 1


def test_no_rolling_hour_sees_more_failed_signins_than_the_account_limit(db, rates, clock):
    """Late in one window and late in the next, 0.99 h apart: together still at most the limit."""
    rates(signin_user="100/hour")
    request = Request(APIRequestFactory().post("/api/auth/signin"))

    def attempts(count):
        return sum(FailedSigninThrottle(username="alice").allow_request(request, None) for _ in range(count))

    clock.now = 1_800_000_000.0 + HOUR * 0.99
    allowed = attempts(150)
    clock.now = 1_800_000_000.0 + HOUR * 1.98
    allowed += attempts(150)
    assert allowed == 100
    clock.now = 1_800_000_000.0 + HOUR * 2.0  # more than an hour after the burst
    assert attempts(150) == 100


def test_the_account_throttle_says_when_the_next_attempt_passes(api, alice, rates, clock):
    rates(signin_user="2/hour")
    clock.now += HOUR / 4
    for _ in range(2):
        assert signin(api, password="wrong").status_code == 401
    refused = signin(api, password="wrong", ip="192.0.2.9")
    assert_throttled(refused, HOUR)
    clock.now += int(refused["Retry-After"]) - 1
    assert signin(api, password="wrong", ip="192.0.2.10").status_code == 429
    clock.now += HOUR  # the full window has left the rolling hour
    assert signin(api, password="wrong", ip="192.0.2.11").status_code == 401


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/auth/signin", {"username": "alice", "password": PASSWORD}),
        ("/api/auth/signup", {"username": "bob", "email": "bob@example.com", "password": PASSWORD}),
        ("/api/auth/refreshtoken", {"refreshToken": "whatever"}),
    ],
)
def test_an_unreachable_redis_is_503_with_retry_after_not_500(alice, settings, path, body):
    """Fail closed: without its counters a throttle cannot hold, so the request waits."""
    settings.CACHES = {"default": {**CACHE_BACKENDS["redis"], "LOCATION": "redis://127.0.0.1:8709/3"}}
    response = APIClient(raise_request_exception=False).post(path, body, format="json")
    assert response.status_code == 503
    assert response.json() == {"message": "Service temporarily unavailable. Please try again shortly."}
    assert response["Retry-After"] == "5"
    assert not Session.objects.exists()


def admin_login(client, username, password=PASSWORD, ip="192.0.2.1"):
    return client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_admin_login_failures_count_against_the_account(client, make_user, rates):
    rates(signin_user="3/hour")
    make_user("root", is_staff=True, is_superuser=True)
    for n in range(3):
        assert admin_login(client, "root", f"guess{n}", ip=f"192.0.2.{n}").status_code == 200  # form error
    assert_throttled(admin_login(client, "root", ip="192.0.2.50"), HOUR)
    # One bucket with the API's sign-in, under any spelling.
    assert_throttled(signin(APIClient(), username=" ROOT", ip="192.0.2.51"), HOUR)
    assert_throttled(admin_login(client, "\u3000Root", "guess", ip="192.0.2.52"), HOUR)


def test_admin_login_is_throttled_per_client_address(client, make_user, rates):
    rates(signin_ip="2/min")
    make_user("root", is_staff=True, is_superuser=True)
    for name in ("root", "someone"):
        assert admin_login(client, name, "guess").status_code == 200
    assert_throttled(admin_login(client, "other", "guess"))
    assert admin_login(client, "root", ip="192.0.2.2").status_code == 302  # another client


def test_a_successful_admin_login_is_not_a_failed_attempt(client, make_user, rates):
    rates(signin_user="2/hour")
    make_user("root", is_staff=True, is_superuser=True)
    for _ in range(4):
        response = admin_login(client, "root")
        assert response.status_code == 302
        client.logout()
    for _ in range(2):
        assert admin_login(client, "root", "guess").status_code == 200
    assert_throttled(admin_login(client, "root"), HOUR)
    assert client.get("/admin/login/").status_code == 200  # the form itself is never throttled


def test_admin_login_with_an_unreachable_redis_is_503(client, make_user, settings):
    make_user("root", is_staff=True, is_superuser=True)
    settings.CACHES = {"default": {**CACHE_BACKENDS["redis"], "LOCATION": "redis://127.0.0.1:8709/3"}}
    response = admin_login(client, "root")
    assert response.status_code == 503
    assert response.json() == {"message": "Service temporarily unavailable. Please try again shortly."}
    assert response["Retry-After"] == "5"


@pytest.fixture
def database_cache(settings, db):
    settings.CACHES = {"default": django_settings.DATABASE_CACHE}
    return cache


def test_database_cache_writes_never_count_or_cull_the_table(api, alice, rates, database_cache):
    """Django's runs SELECT COUNT(*) over the whole table on every write, and culls in the request."""
    database_cache.set_many({f"~filler-{n}": n for n in range(50)}, 3600)
    with CaptureQueriesContext(connection) as queries:
        assert signin(api, password="wrong").status_code == 401
        database_cache.set("k", 1, 60)
        database_cache.add("k2", 1, 60)
        database_cache.touch("k", 120)
    statements = [query["sql"].upper() for query in queries]
    assert not [sql for sql in statements if "COUNT(" in sql]
    assert not [sql for sql in statements if sql.startswith("DELETE")]
    with django_settings_override(CACHES={"default": {**django_settings.DATABASE_CACHE, "OPTIONS": {"MAX_ENTRIES": 10}}}):
        cache.set("one-more", 1, 60)
        assert cache.get("~filler-0") == 0  # nothing culled


def expire(key):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE authsite_cache SET expires = %s WHERE cache_key = %s",
            [connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(seconds=5)), cache.make_key(key)],
        )


def test_database_cache_add_set_and_touch_keep_their_meaning(database_cache):
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False and cache.get("k") == 1  # a live key stays
    expire("k")
    assert cache.add("k", 3, 60) is True and cache.get("k") == 3  # an expired one is taken over
    cache.set("k", 4, 60)
    assert cache.get("k") == 4
    assert cache.touch("k", 60) is True
    expire("k")
    assert cache.touch("k", 60) is False and cache.get("k") is None
    assert cache.touch("missing", 60) is False


def test_purgesessions_deletes_expired_cache_rows(database_cache, capsys):
    cache.set_many({"live": 1, "old-1": 2, "old-2": 3}, 60)
    expire("old-1")
    expire("old-2")
    call_command("purgesessions")
    assert "Purged 2 expired cache entries (default)." in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM authsite_cache")
        assert [row[0] for row in cursor.fetchall()] == [cache.make_key("live")]
