"""``MentionLink.compact``: each link's features as a JSON array of their values, a column the database writes.

A stored generated column: filled for every existing link by this migration (PostgreSQL rewrites the table,
SQLite remakes it) and kept equal to ``features`` by the database on every later write, whoever writes it
(the stage, the batch rebuild, a bulk load), so no writer computes it. The table's statistics are gathered
again (SQLite drops them with the table it remakes, and the candidate read is planned from them).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

import openmash.identity.models


def analyze(apps: Any, schema_editor: Any) -> None:
    table = apps.get_model("identity", "MentionLink")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0003_hashed_blocking_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="mentionlink",
            name="compact",
            field=models.GeneratedField(
                db_persist=True,
                expression=openmash.identity.models.CompactFeatures(
                    "features",
                    fields=("agency", "record_id", "ref", "role", "given", "family", "surnames", "dob", "birth_years",
                            "sex", "nhs", "agency_person_id", "postcode", "household", "occurred", "confidential",
                            "town", "building"),
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(analyze, migrations.RunPython.noop),
    ]
