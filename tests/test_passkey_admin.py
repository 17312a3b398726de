"""Passkeys in the Django admin: listed on the user's page, deletable (with the owner's notice and a log line)."""

import logging

import pytest

from mail.models import OutboxMessage
from passkeys.models import Passkey

from .conftest import PASSWORD


@pytest.fixture
def staff_client(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    assert client.login(username="root", password=PASSWORD)
    return client


@pytest.fixture
def passkeys(alice):
    return [
        Passkey.objects.create(user=alice, name=name, credential_id=name, credential_key=name * 8,
                               user_handle="h", public_key=b"k")
        for name in ("laptop", "phone")
    ]


def test_the_users_page_lists_the_passkeys(staff_client, alice, passkeys):
    page = staff_client.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert "laptop" in page and "phone" in page
    assert f"/admin/passkeys/passkey/{passkeys[0].pk}/change/" in page
    listed = staff_client.get(f"/admin/passkeys/passkey/?user__id__exact={alice.pk}")
    assert listed.status_code == 200 and "laptop" in listed.content.decode()


def test_an_admin_deletes_a_passkey_and_the_owner_is_told(staff_client, passkeys, caplog):
    with caplog.at_level(logging.INFO, logger="authsite.security"):
        response = staff_client.post(f"/admin/passkeys/passkey/{passkeys[0].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert list(Passkey.objects.values_list("name", flat=True)) == ["phone"]
    assert list(OutboxMessage.objects.values_list("kind", "to", "data")) == [
        ("passkey_removed", "alice@example.com", {"name": "laptop"})
    ]
    assert '"event": "passkey_deleted_by_admin"' in caplog.text


def test_bulk_delete_tells_each_owner(staff_client, passkeys):
    response = staff_client.post("/admin/passkeys/passkey/", {
        "action": "delete_selected", "_selected_action": [p.pk for p in passkeys], "post": "yes",
    })
    assert response.status_code == 302
    assert not Passkey.objects.exists()
    assert sorted(OutboxMessage.objects.values_list("data__name", flat=True)) == ["laptop", "phone"]


def test_passkeys_cannot_be_added_or_edited_in_the_admin(staff_client, passkeys):
    assert staff_client.get("/admin/passkeys/passkey/add/").status_code == 403
    staff_client.post(f"/admin/passkeys/passkey/{passkeys[0].pk}/change/", {"name": "renamed"})
    passkeys[0].refresh_from_db()
    assert passkeys[0].name == "laptop"
