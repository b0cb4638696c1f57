"""Encrypt at rest the free text people write about a child: decision rationales, challenges and their
responses, information added to a notification (issue 6). Columns unchanged; stored text encrypted in place."""

from django.db import migrations

import openmash.platform.encryption


def encrypt_stored_text(apps, schema_editor):
    from openmash.platform.encryption import Column, reseal_all

    reseal_all(
        [
            Column("casework_thresholddecision", "rationale", "text"),
            Column("casework_challenge", "reason", "text"),
            Column("casework_challenge", "response", "text"),
            Column("casework_response", "text", "text"),
        ],
        plaintext=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_challenge_resolution"),
        ("intake", "0002_encrypt_at_rest"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="challenge", name="reason",
                                      field=openmash.platform.encryption.EncryptedTextField()),
                migrations.AlterField(model_name="challenge", name="response",
                                      field=openmash.platform.encryption.EncryptedTextField(blank=True)),
                migrations.AlterField(model_name="response", name="text",
                                      field=openmash.platform.encryption.EncryptedTextField()),
                migrations.AlterField(model_name="thresholddecision", name="rationale",
                                      field=openmash.platform.encryption.EncryptedTextField()),
            ]
        ),
        migrations.RunPython(encrypt_stored_text, migrations.RunPython.noop, elidable=True),
    ]
