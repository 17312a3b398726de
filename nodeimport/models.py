"""What the importer remembers about each Node row it has seen imported."""

from django.conf import settings
from django.db import models


class ImportedNodeUser(models.Model):
    """
    A row of a Node.js tutorial database's ``users`` table that ``import_node_users`` imported:
    a second run skips it, whatever became of the authsite user. If that user is deleted in
    authsite the record stays (``user`` None), so the Node row is not imported again.

    ``node_*`` keep the Node row as it was at the import, so a later run can report what changed
    in Node since; the password only as a SHA-256 digest of the bcrypt hash, so nothing here can
    check a password once the user's hash has been upgraded to Argon2id.
    """

    source = models.CharField(max_length=255, help_text="mysql://HOST:PORT/DB, without credentials")
    node_id = models.BigIntegerField()
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="node_import",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    node_username = models.CharField(max_length=255)
    node_email = models.CharField(max_length=255)
    node_roles = models.CharField(max_length=255, help_text="comma-separated role names")
    node_password_digest = models.CharField(max_length=64)

    class Meta:
        verbose_name = "user imported from Node"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "node_id"], name="nodeimport_one_per_node_row"
            )
        ]

    def __str__(self):
        return f"node user {self.node_id} of {self.source}"
