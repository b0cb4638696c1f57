"""Database-level guards that keep audit rows append-only, whoever connects.

The application already refuses to change audit rows; these triggers stop a stray SQL
statement doing it. A database owner can still drop them, which ``openmash audit verify``
then catches through the hash chain.
"""

from __future__ import annotations

from typing import Any

SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON platform_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON platform_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]
POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
    "DROP TRIGGER IF EXISTS audit_no_change ON platform_auditevent",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON platform_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON platform_auditevent",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON platform_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_no_change ON platform_auditevent",
    "DROP TRIGGER IF EXISTS audit_no_truncate ON platform_auditevent",
]


def install_audit_guards(connection: Any) -> None:
    statements = POSTGRES_INSTALL if connection.vendor == "postgresql" else SQLITE_INSTALL
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove_audit_guards(connection: Any) -> None:
    """For a database owner's maintenance (and test teardown): the chain still proves what changed."""
    statements = POSTGRES_REMOVE if connection.vendor == "postgresql" else SQLITE_REMOVE
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
