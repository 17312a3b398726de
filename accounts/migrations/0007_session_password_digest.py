import hashlib

from django.db import migrations, models
from django.utils import timezone


def record_current_passwords(apps, schema_editor):
    """
    Existing sessions were opened under their user's current password (a password change revoked
    the others): give each live one the SHA-256 of it (``accounts.models.users.password_digest``,
    written out here so the migration never changes), so the upgrade signs nobody out. Revoked and
    expired sessions keep ``""``: they are over anyway (``purgesessions`` deletes them).
    """
    Session = apps.get_model("accounts", "Session")
    db = schema_editor.connection.alias
    live = (
        Session.objects.using(db)
        .filter(revoked_at=None, expires_at__gt=timezone.now())
        .values_list("pk", "user__password")
    )
    batch = []
    for pk, password in live.iterator(chunk_size=1000):
        batch.append(Session(pk=pk, password_digest=hashlib.sha256(password.encode()).hexdigest()))
        if len(batch) == 1000:
            Session.objects.using(db).bulk_update(batch, ["password_digest"])
            batch = []
    Session.objects.using(db).bulk_update(batch, ["password_digest"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_role_ids_continue_after_seeded_rows")]

    operations = [
        migrations.AddField(
            model_name="session",
            name="password_digest",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(record_current_passwords, migrations.RunPython.noop),
    ]
