"""
Passkey notices, composed at delivery from outbox rows (``mail.composers``): a passkey added to
or removed from an account is told to the account's address, so an owner learns of a passkey an
intruder planted (or of one that was taken away).

| kind              | to                    | data       |
|-------------------|-----------------------|------------|
| ``passkey_added``   | the account's address | ``name`` |
| ``passkey_removed`` | the account's address | ``name`` |
"""

import logging

from accounts.security import log_event
from mail.composers import composer, render
from mail.outbox import enqueue


def notify(kind, request, passkey):
    """Queue notice ``kind`` about ``passkey`` to its owner and log it (in the caller's transaction)."""
    user = passkey.user
    if user.email:
        enqueue(kind, user.email, user=user, data={"name": passkey.name})
    log_event(kind, request, level=logging.INFO, user=user.pk, passkey=passkey.pk)


@composer("passkey_added")
def passkey_added(message):
    return render("passkey_added", message.to, user=message.user, passkey_name=message.data.get("name", ""))


@composer("passkey_removed")
def passkey_removed(message):
    return render("passkey_removed", message.to, user=message.user, passkey_name=message.data.get("name", ""))
