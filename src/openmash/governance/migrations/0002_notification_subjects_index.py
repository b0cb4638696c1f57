"""PostgreSQL: a GIN index on notification subjects, so the relationship check (``subjects @> [{"person_id": …}]``)
is an index lookup, not a scan of a team's notifications. SQLite has no such index; its text match scans."""

from django.db import migrations

CREATE = ("CREATE INDEX IF NOT EXISTS governance_notification_subjects_gin "
          "ON protocol_notification USING gin (subjects jsonb_path_ops)")
DROP = "DROP INDEX IF EXISTS governance_notification_subjects_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial"), ("protocol", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
