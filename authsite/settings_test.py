"""Test settings: the real ones with fixed keys and a fast password hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("JWT_SIGNING_KEY", "test-jwt-signing-key-" + "y" * 50)

from .settings import *  # noqa: F403
from .settings import BASE_DIR, DATABASES

# Hashing at production cost would make every test that creates a user take 30 ms or more.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# SQLite's in-memory test database locks whole tables under concurrent writers; a file lets
# the concurrency tests run on SQLite as they do on MariaDB.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
