"""
Names whose identity key (NFKC + casefold) outgrows its column are refused readably, on every
backend: MariaDB answered them with a 500 (DataError 1406), SQLite stored them. U+FDFA is 1
character and 18 after NFKC; U+FB03 (ﬃ) is 3.
"""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User, identity_key
from proxyauth.models import ExternalIdentity
from tests.conftest import PASSWORD
from tests.proxy import (
    assert_unauthorized,
    claims,
    hello,
    sign,
)

LONG_EMAIL = "a@" + "\ufdfa" * 60 + "." + "\ufdfa" * 60 + ".com"  # 127 characters, key 2167
EMAIL_KEY_TOO_LONG = "Email is too long once normalised (some of its characters expand)."


def signup(api, **fields):
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, **fields}
    return api.post("/api/auth/signup", body, format="json")


def test_signup_with_an_email_whose_key_is_too_long_is_400(api, db):
    assert len(LONG_EMAIL) <= 254 < 762 < len(identity_key(LONG_EMAIL))
    response = signup(api, email=LONG_EMAIL)
    assert response.status_code == 400, response.content
    assert response.json() == {"message": EMAIL_KEY_TOO_LONG, "errors": {"email": [EMAIL_KEY_TOO_LONG]}}
    assert not User.objects.exists()


def test_signup_with_an_email_whose_key_just_fits_is_accepted(api, db):
    email = "a@" + "\ufdfa" * 42 + ".com"  # key 2 + 756 + 4 = 762
    assert len(identity_key(email)) == 762
    assert signup(api, email=email).status_code == 200
    assert User.objects.get().email_key == identity_key(email)


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("a@" + "\ufdfa" * 60 + ".example", id="U+FDFA"),
        pytest.param("\ufb03" * 200 + "\ufdfa" * 20 + "@x.example", id="U+FB03 and U+FDFA"),
    ],
)
def test_a_proxy_email_whose_key_is_too_long_is_401_and_creates_nothing(proxy_on, email):
    assert len(email) <= 254 < 762 < len(identity_key(email))
    assert_unauthorized(hello(sign(claims(email=email))))
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("\ufb03" * 240 + "@corp.example", id="U+FB03 x240"),
        pytest.param("\ufdfa" * 40 + "@corp.example", id="U+FDFA x40"),
    ],
)
def test_a_proxy_email_whose_key_fits_gets_a_username_whose_key_fits(proxy_on, email):
    assert hello(sign(claims(email=email))).status_code == 200
    user = User.objects.get()
    assert user.email == email
    assert "@" in user.username and len(user.username_key) <= 450 and len(user.username) <= 150


def test_the_admin_forms_refuse_a_key_too_long_as_well(db):
    with pytest.raises(ValidationError) as error:
        User(username="alice", email=LONG_EMAIL).clean()
    assert "email" in error.value.message_dict
