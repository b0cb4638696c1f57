"""The audit trail in the database: append-only through the app, and `openmash audit verify` names tampered rows."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from openmash.platform.audit import Actor, record_event, verify_trail
from openmash.platform.models import AppendOnlyError, AuditEvent


def write_events(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            record_event(actor=Actor("alice", role="triage", team="csc"), action="person.read",
                         object_type="person", object_id=f"P{i}", purpose="safeguarding", details={"i": i})


def drop_guards() -> None:  # noqa: D401
    """Simulate a database owner who bypasses the app and removes the append-only triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_change ON platform_auditevent")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")


@pytest.mark.django_db(transaction=True)
def test_verify_passes_on_a_clean_trail(capsys):
    write_events(5)
    call_command("audit", "verify")
    assert "5 rows verified" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        record_event(actor=Actor("alice"), action="x")


@pytest.mark.django_db
def test_audit_rows_cannot_be_changed_or_deleted_through_the_app():
    write_events(1)
    event = AuditEvent.objects.get()
    event.actor = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(actor="mallory")


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_updates_to_audit_rows():
    write_events(1)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE platform_auditevent SET actor = 'mallory'")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tampering, row", [
    ("UPDATE platform_auditevent SET purpose = 'nothing to see' WHERE seq = 3", 3),
    ("DELETE FROM platform_auditevent WHERE seq = 2", 3),
    ("DELETE FROM platform_auditevent WHERE seq = 5", 4),
    ("UPDATE platform_auditevent SET seq = seq + 100 WHERE seq = 4", 104),
])
def test_verify_fails_naming_the_row_after_direct_database_tampering(tampering, row, capsys):
    write_events(5)
    drop_guards()
    with connection.cursor() as cursor:
        cursor.execute(tampering)
    assert verify_trail()
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    assert f"audit row {row}" in capsys.readouterr().err


@pytest.mark.django_db
def test_collected_rows_are_written_once_in_order_with_single_rows_between():
    from openmash.platform.audit import Event, collected, record_events

    actor = Actor.system("test")
    with transaction.atomic(), collected():
        record_events([Event(actor=actor, action="a.one"), Event(actor=actor, action="a.two")])
        assert not AuditEvent.objects.exists()  # kept until the block ends
        record_event(actor=actor, action="b.single")
        record_events([Event(actor=actor, action="c.three")])
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "a.one", "a.two", "b.single", "c.three"]
    assert not verify_trail()


@pytest.mark.django_db
def test_collected_rows_go_with_a_failed_block_and_survive_a_savepoint_rolled_back_inside_it():
    from openmash.platform.audit import Event, collected, record_events

    actor = Actor.system("test")
    with pytest.raises(RuntimeError), transaction.atomic(), collected():
        record_events([Event(actor=actor, action="lost")])
        raise RuntimeError("boom")
    assert not AuditEvent.objects.exists()
    with transaction.atomic(), collected():
        record_events([Event(actor=actor, action="kept")])
        with pytest.raises(RuntimeError), transaction.atomic():
            record_events([Event(actor=actor, action="rolled.back")])
            raise RuntimeError("boom")
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["kept"]
    assert not verify_trail()
