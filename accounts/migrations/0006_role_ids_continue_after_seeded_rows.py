from django.core.management.color import no_style
from django.db import migrations


def continue_role_ids(apps, schema_editor):
    """
    Move the role id sequence past the rows 0002 inserted with explicit ids. PostgreSQL's identity
    sequence does not advance on an explicit id, so without this the next role created would be
    given id 1 and collide. SQLite and MySQL/MariaDB derive the next id from the rows: no SQL there.
    (``loaddata roles`` resets the sequence itself.)
    """
    Role = apps.get_model("accounts", "Role")
    connection = schema_editor.connection
    for sql in connection.ops.sequence_reset_sql(no_style(), [Role]):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_user_email_verified")]

    operations = [migrations.RunPython(continue_role_ids, migrations.RunPython.noop)]
