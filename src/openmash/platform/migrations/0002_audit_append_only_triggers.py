"""Make audit rows append-only in the database too (see openmash.platform.dbguards)."""

from django.db import migrations

from openmash.platform.dbguards import install_audit_guards, remove_audit_guards


def forwards(apps, schema_editor):
    install_audit_guards(schema_editor.connection)


def backwards(apps, schema_editor):
    remove_audit_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("platform", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
