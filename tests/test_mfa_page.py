"""authsite's page /account/two-factor/ (the browser walk-through: tests/test_browser_mfa.py)."""

import re

import pytest

from accounts.models import Session
from mfa.models import TOTPDevice

from .conftest import PASSWORD

PAGE = "/account/two-factor/"


def post(client, action, **data):
    return client.post(PAGE, {"action": action, **data})


def sign_in(client, username="alice", password=PASSWORD):
    return post(client, "signin", username=username, password=password)


def set_up(client, totp_clock):
    page = post(client, "setup").content.decode()
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page).group(1)
    response = post(client, "confirm", code=totp_clock.code(secret))
    assert response.status_code == 200
    return secret, re.findall(r"<li><code>([a-z2-7-]+)</code></li>", response.content.decode())


@pytest.mark.django_db
def test_the_page_asks_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_actions_without_signing_in_are_refused(client, alice):
    for action in ("setup", "confirm", "disable", "regenerate", "code"):
        response = post(client, action, code="123456")
        assert response.status_code == 400 and "Sign in first." in response.content.decode()
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_a_wrong_password_and_missing_fields(client, alice):
    response = sign_in(client, password="wrong password")
    assert response.status_code == 400 and "Invalid username or password!" in response.content.decode()
    response = post(client, "signin", username="alice")
    assert response.status_code == 400 and "Enter your username and password." in response.content.decode()


@pytest.mark.django_db
def test_set_up_then_the_page_sign_in_asks_for_the_code(client, alice, totp_clock):
    Session.objects.start(alice)
    assert sign_in(client).status_code == 200
    secret, codes = set_up(client, totp_clock)
    assert len(codes) == 10
    assert not Session.objects.filter(user=alice, revoked_at=None).exists()  # the API sessions ended
    post(client, "signout")
    response = sign_in(client)
    assert 'name="code"' in response.content.decode() and "Signed in as" not in response.content.decode()
    response = post(client, "setup")
    assert response.status_code == 400  # not signed in before the code
    response = post(client, "code", code="000000" if totp_clock.code(secret) != "000000" else "111111")
    assert response.status_code == 400 and "That code is not right." in response.content.decode()
    totp_clock.set(totp_clock.now + 30)
    response = post(client, "code", code=totp_clock.code(secret))
    assert response.status_code == 200 and '<strong id="state">on</strong>' in response.content.decode()


@pytest.mark.django_db
def test_regenerate_and_turn_off_need_a_proof(client, alice, totp_clock):
    sign_in(client)
    _, codes = set_up(client, totp_clock)
    response = post(client, "regenerate", password="wrong")
    assert response.status_code == 400 and "Enter your password or a current code." in response.content.decode()
    response = post(client, "regenerate", code=codes[0])
    new = re.findall(r"<li><code>([a-z2-7-]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(codes)
    response = post(client, "disable", password=PASSWORD)
    assert response.status_code == 200 and '<strong id="state">off</strong>' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_a_password_change_ends_the_page_sign_in(client, alice):
    sign_in(client)
    alice.set_password("another password 77")
    alice.save()
    response = post(client, "setup")
    assert response.status_code == 400 and "Sign in first." in response.content.decode()


@pytest.mark.django_db
def test_page_sign_ins_are_throttled(client, alice, account_rate):
    account_rate("2/hour")
    for _ in range(2):
        sign_in(client, password="wrong password")
    response = sign_in(client)
    assert response.status_code == 429 and "Too many attempts." in response.content.decode()
    assert response["Retry-After"]
