from django.db import migrations

ROLES = [(1, "user"), (2, "moderator"), (3, "admin")]


def seed_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for pk, name in ROLES:
        Role.objects.using(schema_editor.connection.alias).update_or_create(
            pk=pk, defaults={"name": name}
        )


class Migration(migrations.Migration):
    """The three roles with their fixed ids, so a fresh `migrate` is usable at once."""

    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(seed_roles, migrations.RunPython.noop)]
