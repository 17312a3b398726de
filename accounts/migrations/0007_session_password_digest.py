from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import SHA256


def record_current_passwords(apps, schema_editor):
    """
    Existing sessions were opened under their user's current password (a password change revoked
    the others): give each the digest of it, in one UPDATE computed by the database (the same
    SHA-256 as ``accounts.models.users.password_digest``), so the upgrade signs nobody out.
    """
    Session = apps.get_model("accounts", "Session")
    User = apps.get_model("accounts", "User")
    db = schema_editor.connection.alias
    Session.objects.using(db).update(
        password_digest=Subquery(
            User.objects.using(db).filter(pk=OuterRef("user_id")).values_list(SHA256("password"))[:1]
        )
    )


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
