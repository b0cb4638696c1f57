"""Blocking keys stored as keyed 64-bit hashes (``identity.blocking_index``), keyed by ``(key, person)``.

The text keys an existing database holds are hashed under the index secret in force and copied into the new
table (on PostgreSQL through a sorted staging table, so that each key's holders sit together), and the
secret's fingerprint recorded. A very large index may be left empty here instead and rebuilt from the links
(``OPENMASH_REKEY_AFTER_MIGRATE=1``, then ``openmash link rekey``).
"""

from __future__ import annotations

import os
from typing import Any

import django.db.models.deletion
from django.db import migrations, models

_CHUNK = 50_000


def _chunks(connection: Any, table: str) -> Any:
    """The old ``(key, person_id)`` rows, hashed, a chunk at a time (the connection is free between chunks)."""
    from openmash.identity.blocking_index import _secret, key_hash

    secret = _secret()
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor(name="blockingkey_text") as cursor:
            cursor.execute(f"SELECT key, person_id FROM {table}")  # noqa: S608 - table name only
            while rows := cursor.fetchmany(_CHUNK):
                yield [(key_hash(key, secret), person) for key, person in rows]
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, person_id FROM {table}")  # noqa: S608 - table name only
        while rows := cursor.fetchmany(_CHUNK):
            yield [(key_hash(key, secret), person) for key, person in rows]


def hash_keys(apps: Any, schema_editor: Any) -> None:
    from openmash.identity.blocking_index import _secret, fingerprint

    connection = schema_editor.connection
    old = apps.get_model("identity", "BlockingKeyText")._meta.db_table
    new = apps.get_model("identity", "BlockingKey")._meta.db_table
    apps.get_model("identity", "BlockingIndex").objects.create(pk=1, fingerprint=fingerprint(_secret()))
    if os.environ.get("OPENMASH_REKEY_AFTER_MIGRATE"):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMPORARY TABLE blockingkey_staging (key bigint, person_id bigint) ON COMMIT DROP")
        for chunk in _chunks(connection, old):
            with connection.connection.cursor() as raw, raw.copy("COPY blockingkey_staging (key, person_id) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {new} (key, person_id) SELECT key, person_id FROM blockingkey_staging "  # noqa: S608
                           "ORDER BY key, person_id ON CONFLICT DO NOTHING")
        return
    chunks = list(_chunks(connection, old))  # SQLite: read before writing (one connection)
    with connection.cursor() as cursor:
        for chunk in chunks:
            cursor.executemany(f"INSERT OR IGNORE INTO {new} (key, person_id) VALUES (%s, %s)", chunk)  # noqa: S608


class Migration(migrations.Migration):

    dependencies = [
        ("identity", "0002_relink_events"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="blockingkey", name="blockingkey_person"),
        migrations.RemoveConstraint(model_name="blockingkey", name="blockingkey_once_per_person"),
        migrations.RenameModel("BlockingKey", "BlockingKeyText"),
        migrations.CreateModel(
            name="BlockingKey",
            fields=[
                ("pk", models.CompositePrimaryKey("key", "person", blank=True, editable=False, primary_key=True,
                                                  serialize=False)),
                ("key", models.BigIntegerField()),
                ("person", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="blocking_keys",
                                             to="identity.person", db_index=False)),
            ],
        ),
        migrations.CreateModel(
            name="BlockingIndex",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("fingerprint", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(hash_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(model_name="blockingkey", index=models.Index(fields=["person"], name="blockingkey_person")),
        migrations.DeleteModel(name="BlockingKeyText"),
        # mentionlink_person already indexes it: the foreign key's own index was a second copy to maintain.
        migrations.AlterField(model_name="mentionlink", name="person",
                              field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                                      related_name="links", to="identity.person")),
    ]
