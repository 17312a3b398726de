"""
Proxy identities cannot be squatted:

- an account signed up with a future proxy user's email is never linked to that person's
  identity: the log does not suggest it, and the admin refuses it while the email is unverified;
- sign-up cannot take a username with ``@``, the namespace of proxy users' names, so no local
  account can be named like a proxy user's email (or any of its ``-N`` variants);
- accounts that exist with such names (made by an administrator, or before this rule) cannot
  lock the person out: after ``-20`` comes an unpredictable name;
- ``roles`` refuses a name that is one user's username and another's email.
"""

import logging

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from proxyauth import profiles
from proxyauth.models import ExternalIdentity, candidate_usernames
from tests.conftest import PASSWORD
from tests.proxy import (
    assert_unauthorized,
    claims,
    hello,
    sign,
)

VICTIM = "victim@corp.example"
VICTIM_SUB = "accounts.google.com:4242"


def victim_assertion():
    return sign(claims(sub=VICTIM_SUB, email=VICTIM))


def signup(api, username, email=VICTIM):
    return api.post(
        "/api/auth/signup",
        {"username": username, "email": email, "password": PASSWORD},
        format="json",
    )


# --- The email ------------------------------------------------------------------------------------


def test_the_log_never_suggests_linking_to_an_unverified_account(api, proxy_on, caplog):
    assert signup(api, "squatter").status_code == 200
    squatter = User.objects.get(username="squatter")
    with caplog.at_level(logging.WARNING, logger="authsite.proxyauth"):
        assert_unauthorized(hello(victim_assertion()))
    message = caplog.records[-1].getMessage()
    assert f"account #{squatter.pk}" in message
    assert "do not link" in message
    assert "if it is the same person, link" not in message.lower()
    assert not ExternalIdentity.objects.exists()


def test_the_log_suggests_linking_once_the_email_is_verified(proxy_on, make_user, caplog):
    make_user("victim", email=VICTIM, email_verified=True)
    with caplog.at_level(logging.WARNING, logger="authsite.proxyauth"):
        assert_unauthorized(hello(victim_assertion()))
    assert "if it is the same person, link the identity" in caplog.records[-1].getMessage()


@pytest.fixture
def staff_client(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    assert client.login(username="root", password=PASSWORD)
    return client


def link_in_admin(client, user):
    return client.post(
        "/admin/proxyauth/externalidentity/add/",
        {"provider": profiles.IAP_ISSUER, "subject": VICTIM_SUB, "user": user.pk},
    )


def test_the_admin_refuses_to_link_an_account_with_an_unverified_email(staff_client, make_user):
    squatter = make_user("squatter", email=VICTIM)
    response = link_in_admin(staff_client, squatter)
    assert response.status_code == 200  # the form again, with the error
    assert "email is not verified" in response.content.decode()
    assert not ExternalIdentity.objects.exists()


def test_the_admin_links_an_account_with_a_verified_email(staff_client, make_user):
    owner = make_user("victim", email=VICTIM, email_verified=True)
    assert link_in_admin(staff_client, owner).status_code == 302
    assert ExternalIdentity.objects.get().user == owner


def test_an_existing_link_can_still_be_edited(staff_client, proxy_on):
    assert hello(victim_assertion()).status_code == 200
    identity = ExternalIdentity.objects.get()
    response = staff_client.post(
        f"/admin/proxyauth/externalidentity/{identity.pk}/change/",
        {"provider": identity.provider, "subject": "accounts.google.com:4243", "user": identity.user_id},
    )
    assert response.status_code == 302


# --- The username ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username", [VICTIM, VICTIM.upper(), f"{VICTIM}-2", "ｖｉｃｔｉｍ＠corp.example", "a@b"]
)
def test_signup_refuses_usernames_with_an_at_sign(api, db, username):
    response = signup(api, username, email="squatter@example.com")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "username": ['Username may not contain "@": such names are reserved for single sign-on users.']
    }
    assert not User.objects.exists()


def test_proxy_usernames_always_hold_an_at_sign(proxy_on):
    assert hello(sign(claims(email="x" * 200 + "@corp.example"))).status_code == 200
    username = User.objects.get().username
    assert "@" in username and len(username) <= 150
    for candidate in candidate_usernames("y" * 300 + "@corp.example"):
        assert "@" in candidate and len(candidate) <= 150


def test_accounts_holding_every_predictable_name_cannot_lock_the_person_out(proxy_on, make_user):
    # Made by an administrator or before sign-up refused "@": the 20 predictable names.
    make_user(VICTIM.upper(), email="squatter@example.com")
    for n in range(2, 21):
        make_user(f"{VICTIM}-{n}", email=f"squatter{n}@example.com")
    assert hello(victim_assertion()).status_code == 200
    person = ExternalIdentity.objects.get(subject=VICTIM_SUB).user
    assert person.email == VICTIM
    assert person.username.startswith(f"{VICTIM}-") and len(person.username) == len(VICTIM) + 9


def test_roles_refuses_a_name_that_is_one_users_username_and_anothers_email(proxy_on, make_user):
    squatter = make_user(VICTIM.upper(), email="squatter@example.com")  # an older local account
    assert hello(victim_assertion()).status_code == 200
    person = User.objects.get(email=VICTIM)
    assert person.username == f"{VICTIM}-2"
    with pytest.raises(CommandError, match="ambiguous"):
        call_command("roles", "grant", VICTIM, "moderator")
    assert not squatter.roles.filter(name="moderator").exists()
    call_command("roles", "grant", f"#{person.pk}", "moderator")
    assert person.roles.filter(name="moderator").exists()


def test_roles_by_an_unambiguous_name_still_works(proxy_on):
    assert hello(victim_assertion()).status_code == 200
    call_command("roles", "grant", VICTIM.upper(), "moderator")
    assert User.objects.get(email=VICTIM).roles.filter(name="moderator").exists()


def test_roles_by_an_unknown_id_is_an_error(db):
    with pytest.raises(CommandError, match="No user with id #999"):
        call_command("roles", "show", "#999")
