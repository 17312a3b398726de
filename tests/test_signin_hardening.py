"""
Sign-in hardening: the same hashing work for unknown, known and inactive usernames (so timing
tells nothing), and overlong passwords refused with 400 before anything hashes them.
"""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher

from tests.conftest import PASSWORD


@pytest.fixture
def hash_count(monkeypatch):
    """How many times the (test) password hasher has run."""
    calls = []
    original = MD5PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append(1)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting_encode)
    return calls


def signin(api, username, password):
    return api.post("/api/auth/signin", {"username": username, "password": password}, format="json")


@pytest.mark.parametrize(
    "username, password, status",
    [
        ("alice", PASSWORD, 200),
        ("alice", "wrong password", 401),
        ("nobody", "wrong password", 401),
        ("inactive", PASSWORD, 401),
    ],
    ids=["known-right", "known-wrong", "unknown", "inactive"],
)
def test_every_signin_hashes_exactly_once(api, alice, make_user, hash_count, username, password, status):
    make_user("inactive", is_active=False)
    hash_count.clear()
    response = signin(api, username, password)
    assert response.status_code == status
    assert len(hash_count) == 1


@pytest.mark.parametrize(
    "password, message",
    [
        ("é" * 2049, "Password must be at most 4096 bytes."),  # 2049 characters, 4098 bytes
        ("😀" * 1025, "Password must be at most 4096 bytes."),  # 1025 characters, 4100 bytes
        ("x" * 4097, "Password must be at most 4096 characters."),
        ("x" * 60000, "Password must be at most 4096 characters."),
    ],
)
def test_an_overlong_password_is_400_before_any_hashing(api, alice, hash_count, password, message):
    hash_count.clear()
    response = signin(api, "alice", password)
    assert response.status_code == 400
    assert response.json() == {"message": message, "errors": {"password": [message]}}
    assert hash_count == []


def test_a_password_of_exactly_4096_bytes_is_checked(api, make_user, hash_count):
    password = "é" * 2048  # 4096 bytes
    user = make_user("longpass", password=password)
    hash_count.clear()
    assert signin(api, user.username, password).status_code == 200
    assert len(hash_count) == 1


@pytest.mark.parametrize("password", ["é" * 2049, "x" * 4097])
def test_signup_refuses_the_same_overlong_passwords(api, db, password):
    response = api.post(
        "/api/auth/signup",
        {"username": "newbie", "email": "newbie@example.com", "password": password},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Password must be at most 4096")
