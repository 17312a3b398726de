"""
TOTP secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) under ``MFA_ENCRYPTION_KEYS``, through
``MultiFernet``: the first key encrypts, each of them decrypts, so a new key can be put first while
the old one still reads existing rows; ``manage.py mfa reencrypt`` then moves every row to the new
key (``MultiFernet.rotate``) and the old key can go.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret no configured key decrypts (its key was dropped too early)."""


def fernet():
    return MultiFernet([Fernet(key) for key in settings.MFA_ENCRYPTION_KEYS])


def encrypt(secret):
    return fernet().encrypt(secret.encode("ascii")).decode("ascii")


def decrypt(token):
    try:
        return fernet().decrypt(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable() from None


def reencrypt(token):
    """``token`` encrypted under the first key (unchanged content)."""
    try:
        return fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable() from None
