"""Putting mail into the outbox: one INSERT, in the caller's transaction, nothing sent."""

from .models import OutboxMessage


def enqueue(kind, to, user=None, data=None):
    """Queue a ``kind`` message to address ``to`` (composed at delivery by its composer)."""
    return OutboxMessage.objects.create(kind=kind, to=to, user=user, data=data or {})
