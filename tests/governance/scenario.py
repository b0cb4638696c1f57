"""A small multi-agency world on the database for governance tests: records ingested through intake and
identity, notifications written as the protocol engine writes them."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from django.utils import timezone

from openmash.identity import queries, services
from openmash.intake.models import Record
from openmash.intake.services import ingest_items
from openmash.platform.audit import Actor
from tests.intake.records import record

STAGE = "openmash.identity.services.link_record_version"
_clock = itertools.count(1)

HOME = {"lines": ["14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA"}
REFUGE = {"lines": ["4 Saxifrage Road"], "town": "Lincoln", "postcode": "LN1 3ZZ", "confidential": True}


def linking(settings) -> None:
    settings.OPENMASH_PIPELINE_STAGES = [STAGE]
    services.forget_cached_model()


def person(ref: str, role: str, given: str, family: str, dob: str, **fields: Any) -> dict[str, Any]:
    return {"ref": ref, "role": role, "given_names": given, "family_name": family, "date_of_birth": dob, **fields}


def ingest(*records: dict[str, Any], live: bool = False) -> None:
    report = ingest_items(list(records), source="test", actor=Actor.system("test"), live=live)
    assert report.quarantined == 0, [r for r in report.ordered() if r.problems]


def at(n: int | None = None) -> str:
    """A distinct recorded_at for each record, so versions process in order."""
    day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n if n is not None else next(_clock))
    return day.isoformat().replace("+00:00", "Z")


def rec(record_id: str, *, agency: str, kind: str, people: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    stamp = fields.pop("recorded_at", None) or at()
    return record(record_id, agency=agency, kind=kind, people=people, recorded_at=stamp, occurred_at=stamp, **fields)


def pid(agency: str, record_id: str, ref: str) -> str:
    found = queries.person_id_of(agency, record_id, ref)
    assert found is not None
    return found


def notify(agency: str, record_id: str, *, to: str, team: str | None = None, level: str = "health",
           subjects: list[tuple[str, str]] = (), withdrawn: bool = False) -> Any:
    """A notification to ``to``/``team`` about the record, its subjects cited by ref on it."""
    from openmash.protocol.models import Notification

    source = Record.objects.get(agency=agency, record_id=record_id)
    now = timezone.now()
    return Notification.objects.create(
        notification_id=str(uuid.uuid4()), created_at=now, due_by=now + dt.timedelta(hours=1), priority="same_day",
        recipient_agency=to, recipient_team=team, reasons=["TEST"], record=source, source_agency=agency,
        source_record_id=record_id, source_version=source.current.version,
        subjects=[{"agency": agency, "record_id": record_id, "person_ref": ref, "person_id": person_id}
                  for ref, person_id in subjects],
        content_level=level, content={}, withdrawn_at=now if withdrawn else None,
    )
