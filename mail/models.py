"""
The outbox: mail waiting to be sent, written inside the request, sent by ``manage.py mailworker``.

A row holds *what* to send (a ``kind``, the address, the user, a little JSON), never the rendered
message: the message is composed at delivery (``mail.composers``), so the links' tokens exist only
in memory and in the mail itself, and are never stored. A row that keeps failing ends ``failed``
with its last error, visible (and retryable) in the admin.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        SKIPPED = "skipped", "skipped (nothing to send)"
        FAILED = "failed", "failed (gave up)"

    kind = models.CharField(max_length=40)
    to = models.EmailField("to", max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outbox message"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self):
        return f"{self.kind} to {self.to} ({self.status})"
