"""
What the throttles count and under which key:

- the per-account throttle counts real failed password checks only: a body without a password
  (400, nothing hashed) costs the named account nothing, on the API and on the admin login;
- a throttled account is logged by id;
- the client address drops a port a proxy appended to ``X-Forwarded-For``.
"""

import json
import logging

import pytest

from tests.conftest import PASSWORD
from tests.test_throttling import (
    HOUR,
    assert_throttled,
    signin,
    trust_proxies,
)


def post_signin(api, body, ip="192.0.2.1"):
    return api.post("/api/auth/signin", body, format="json", REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice"},
        {"username": "alice", "password": None},
        {"username": "alice", "password": ""},
        {"username": "alice", "password": 42},
        {"username": "alice", "password": "x" * 4097},
    ],
)
def test_requests_that_check_no_password_do_not_count_against_the_account(api, alice, rates, body):
    rates(signin_user="2/hour", signin_ip="1000/min")
    for n in range(5):
        assert post_signin(api, body, ip=f"192.0.2.{n}").status_code == 400
    # The owner signs in, and the two allowed failures are still there for real guesses.
    assert signin(api).status_code == 200
    for _ in range(2):
        assert signin(api, password="wrong").status_code == 401
    assert_throttled(signin(api, password="wrong"), HOUR)


def test_the_owner_can_still_change_the_password_after_passwordless_requests(api, alice, rates, token_for):
    rates(signin_user="2/hour", signin_ip="1000/min")
    for _ in range(5):
        assert post_signin(api, {"username": "alice"}).status_code == 400
    response = api.post(
        "/api/auth/password",
        {"oldPassword": PASSWORD, "newPassword": "brand new horse 99"},
        format="json",
        HTTP_X_ACCESS_TOKEN=token_for(alice),
    )
    assert response.status_code == 200


def admin_login(client, username, password=None, ip="192.0.2.1"):
    data = {"username": username, "next": "/admin/"}
    if password is not None:
        data["password"] = password
    return client.post("/admin/login/", data, REMOTE_ADDR=ip)


def test_admin_logins_without_a_password_do_not_count_against_the_account(client, make_user, rates):
    make_user("boss", is_staff=True)
    rates(signin_user="2/hour", signin_ip="1000/min")
    for _ in range(5):
        assert admin_login(client, "boss").status_code == 200  # the form again, no password checked
        assert admin_login(client, "boss", "").status_code == 200
    assert admin_login(client, "boss", PASSWORD).status_code == 302


def test_a_throttled_account_is_logged_by_id_without_the_password(api, alice, rates, caplog):
    rates(signin_user="1/hour")
    assert signin(api, password="wrong guess 1").status_code == 401
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        assert_throttled(signin(api, username="ALICE", password="wrong guess 2"), HOUR)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "authsite.security"]
    throttled = [e for e in events if e["event"] == "throttled"]
    assert throttled == [{"event": "throttled", "ip": "192.0.2.1", "scope": "signin_user", "user": alice.pk}]
    assert "wrong guess" not in caplog.text


def test_a_throttled_unknown_name_is_logged_without_an_id(api, db, rates, caplog):
    rates(signin_user="1/hour")
    signin(api, username="nobody", password="wrong")
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        assert_throttled(signin(api, username="nobody", password="wrong"), HOUR)
    events = [json.loads(r.getMessage()) for r in caplog.records if r.name == "authsite.security"]
    assert {"event": "throttled", "ip": "192.0.2.1", "scope": "signin_user", "user": None} in events


@pytest.mark.parametrize(
    "client_address, spellings",
    [
        ("203.0.113.9", ["203.0.113.9:1001", "203.0.113.9:1002", "203.0.113.9"]),
        ("2001:db8::7", ["[2001:db8::7]:443", "[2001:db8::7]:444", "2001:db8::7"]),
    ],
)
def test_a_port_in_x_forwarded_for_opens_no_fresh_bucket(api, alice, rates, settings, caplog,
                                                         client_address, spellings):
    trust_proxies(settings, 1)
    rates(signin_ip="2/min")
    proxy = "10.0.0.1"
    for entry in spellings[:2]:
        assert signin(api, ip=proxy, HTTP_X_FORWARDED_FOR=f"198.51.100.1, {entry}").status_code == 200
    with caplog.at_level(logging.WARNING, logger="authsite.security"):
        assert_throttled(signin(api, ip=proxy, HTTP_X_FORWARDED_FOR=spellings[2]))
    # The log names the address without its port.
    assert json.loads(caplog.records[-1].getMessage())["ip"] == client_address
