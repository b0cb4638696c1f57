"""Encrypt at rest the feed lines as received, narrative text and confidential addresses (issue 6).

The column types do not change; the values already stored are encrypted in place, in batches.
"""

from django.db import migrations

import openmash.platform.encryption


def encrypt_stored_values(apps, schema_editor):
    from openmash.platform.encryption import Column, reseal_all

    reseal_all(
        [
            Column("intake_recordversion", "raw", "text"),
            Column("intake_recordversion", "data", "json"),
            Column("intake_mention", "data", "json"),
            Column("intake_quarantine", "raw", "binary"),
        ],
        plaintext=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0001_initial"),
    ]

    # Only the fields' classes change (what they write), not the columns: no table is rebuilt.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="mention",
                    name="data",
                    field=openmash.platform.encryption.SealedJSONField(),
                ),
                migrations.AlterField(
                    model_name="quarantine",
                    name="raw",
                    field=openmash.platform.encryption.EncryptedBinaryField(),
                ),
                migrations.AlterField(
                    model_name="recordversion",
                    name="data",
                    field=openmash.platform.encryption.SealedJSONField(
                        help_text="The parsed record; version as an integer."
                    ),
                ),
                migrations.AlterField(
                    model_name="recordversion",
                    name="raw",
                    field=openmash.platform.encryption.EncryptedTextField(
                        help_text="The line or API item as received (UTF-8, byte order mark removed)."
                    ),
                ),
            ]
        ),
        migrations.RunPython(encrypt_stored_values, migrations.RunPython.noop, elidable=True),
    ]
