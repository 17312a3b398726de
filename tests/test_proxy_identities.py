"""
Proxy identities (proxyauth): how a verified assertion's subject maps to a local user.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import Role, User
from proxyauth import profiles
from proxyauth.models import ExternalIdentity
from tests.proxy import (
    ALICE_SUB,
    HEADER,
    assert_unauthorized,
    claims,
    hello,
    iap_profile,
    sign,
)

# --- Mapping verified identities to local users -----------------------------------------------


def test_first_sight_creates_a_user_with_role_user_and_an_unusable_password(proxy_on):
    assert hello(sign()).status_code == 200
    user = User.objects.get()
    assert user.email == "alice@example.com"
    assert user.username == "alice@example.com"
    assert user.role_names == {Role.USER}
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get()
    assert (identity.provider, identity.subject, identity.user) == (profiles.IAP_ISSUER, ALICE_SUB, user)


def test_the_subject_not_the_email_identifies_the_user(proxy_on):
    hello(sign())
    response = hello(sign(claims(email="alice.renamed@example.com")))
    assert response.json() == {"message": "Hello alice.renamed@example.com"}
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_subjects_differing_in_case_are_different_identities(proxy_on):
    hello(sign(claims(sub="accounts.google.com:abc", email="a1@example.com")))
    hello(sign(claims(sub="accounts.google.com:ABC", email="a2@example.com")))
    assert ExternalIdentity.objects.count() == 2


@pytest.mark.parametrize("local_email", ["alice@example.com", "ALICE@Example.COM"])
def test_email_of_a_local_account_is_not_linked_silently(proxy_on, make_user, local_email):
    local = make_user("alice", email=local_email)
    assert_unauthorized(hello(sign()))
    assert User.objects.get() == local
    assert not ExternalIdentity.objects.exists()


def test_admin_linked_identity_signs_in_as_the_local_account(proxy_on, alice):
    ExternalIdentity.objects.create(provider=profiles.IAP_ISSUER, subject=ALICE_SUB, user=alice)
    assert hello(sign()).status_code == 200
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "taken, email, expected",
    [
        ("alice@example.com", "alice@example.com", "alice@example.com-2"),
        ("ALICE@EXAMPLE.COM", "alice@example.com", "alice@example.com-2"),
        ("o_brien_x@example.com", "o'brien!x@example.com", "o_brien_x@example.com-2"),
        (None, "o'brien!x@example.com", "o_brien_x@example.com"),
    ],
)
def test_username_is_the_email_made_valid_and_unique(proxy_on, make_user, taken, email, expected):
    if taken:
        make_user(taken, email="someone.else@example.com")
    assert hello(sign(claims(email=email))).status_code == 200
    assert User.objects.get(email=email).username == expected


def test_inactive_linked_user_is_refused(proxy_on):
    hello(sign())
    User.objects.update(is_active=False)
    assert_unauthorized(hello(sign()))


def test_proxy_user_roles_come_from_the_database(proxy_on):
    headers = {HEADER: sign()}
    assert APIClient().get("/api/test/user", **headers).content == b"User Content."
    response = APIClient().get("/api/test/mod", **headers)
    assert response.status_code == 403
    assert response.json() == {"message": "Require Moderator Role!"}
    User.objects.get().roles.add(Role.objects.get(name=Role.MODERATOR))
    assert APIClient().get("/api/test/mod", **{HEADER: sign()}).content == b"Moderator Content."


def test_signout_with_a_proxy_identity_answers_200(proxy_on):
    response = APIClient().post("/api/auth/signout", {}, format="json", **{HEADER: sign()})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path, role", [("/api/test/user", None), ("/api/test/mod", "moderator"), ("/api/test/admin", "admin")]
)
def test_known_identity_costs_one_query(proxy_on, django_assert_num_queries, path, role):
    """The identity, its user and the user's roles in one query, as for authsite's own tokens."""
    hello(sign())
    if role:
        User.objects.get().roles.add(Role.objects.get(name=role))
    token = sign()
    with django_assert_num_queries(1):
        assert APIClient().get(path, **{HEADER: token}).status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_requests_create_one_user(key_server):
    token = sign()
    with override_settings(PROXY_AUTH_PROFILE=iap_profile(key_server.url("/jwks"))):
        hello(sign(claims(sub="warm-up", email="warm@example.com")))  # fetch the keys once

        def first_request(_):
            try:
                return hello(token).status_code
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(first_request, range(6)))
    assert statuses == [200] * 6
    assert ExternalIdentity.objects.filter(subject=ALICE_SUB).count() == 1
    assert User.objects.filter(email="alice@example.com").count() == 1
