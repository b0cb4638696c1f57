"""Encrypt at rest the protocol's copies of narrative text and confidential addresses (issue 6).

Notification content (a full notification carries the record's narrative and the children's words), the
audience kept for re-redaction (§4.6) and the confidential-address index hold what intake seals; so does an
alert's household. The column types do not change; what is stored is sealed in place, in batches.
"""

from django.db import migrations

import openmash.platform.encryption


def seal_stored_values(apps, schema_editor):
    from openmash.platform.encryption import Column, reseal_all

    reseal_all(
        [
            Column("protocol_notification", "content", "json"),
            Column("protocol_notification", "audience", "json"),
            Column("protocol_confidentialaddress", "address", "json"),
            Column("protocol_alert", "once_household", "json"),
        ],
        plaintext=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("protocol", "0005_alert_person_index"),
        ("intake", "0002_encrypt_at_rest"),
    ]

    # Only the fields' classes change (what they write), not the columns: no table is rebuilt.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="alert",
                    name="once_household",
                    field=openmash.platform.encryption.SealedJSONField(blank=True, null=True),
                ),
                migrations.AlterField(
                    model_name="confidentialaddress",
                    name="address",
                    field=openmash.platform.encryption.SealedJSONField(),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="audience",
                    field=openmash.platform.encryption.SealedJSONField(default=dict),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="content",
                    field=openmash.platform.encryption.SealedJSONField(default=dict),
                ),
            ]
        ),
        migrations.RunPython(seal_stored_values, migrations.RunPython.noop, elidable=True),
    ]
