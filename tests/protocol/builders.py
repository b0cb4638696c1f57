"""A small county built in tests: records as the contract's JSON, people linked by the test, run in memory."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from openmash.protocol.domain.memory import MemoryStore
from openmash.protocol.domain.policy import Policy, load_policy

LONDON_OFFSET = {False: "+00:00", True: "+01:00"}
HOME = {"lines": ["14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA", "uprn": None}
OTHER = {"lines": ["3 Church Street"], "town": "Louth", "postcode": "LN11 9AB", "uprn": None}
REFUGE = {"lines": ["Flat 4", "4 Saxifrage Road"], "town": "Spalding", "postcode": "PE12 8JG", "uprn": "108231561301",
          "confidential": True}


def when(text: str) -> str:
    """A local date or date-time as RFC 3339 (the tests give local times; the offset is worked out)."""
    moment = dt.datetime.fromisoformat(text if "T" in text else text + "T12:00:00")
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Europe/London"))
    return moment.isoformat()


def dash(yes: int) -> dict[str, Any]:
    return {"completed": True, "answers": {str(n): ("yes" if n <= yes else "no") for n in range(1, 28)}}


class County:
    """Records with their people linked by the test (``pid``), processed by the in-memory engine."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.links: dict[tuple[str, str, str], str] = {}
        self.store = MemoryStore(policy or load_policy(), lambda a, r, p: self.links.get((a, r, p)))
        self._ids = itertools.count(1)

    def person(self, pid: str, role: str, *, dob: str | None = None, address: dict[str, Any] | None = None,
               **extra: Any) -> dict[str, Any]:
        person = {"role": role, "given_names": pid.title(), "family_name": "Test", "date_of_birth": dob,
                  "address": address, "_pid": pid, **extra}
        return person

    def record(self, kind: str, occurred: str, *people: dict[str, Any], agency: str = "police",
               record_id: str | None = None, recorded: str | None = None, version: int = 1,
               address: dict[str, Any] | None = None, details: dict[str, Any] | None = None,
               ended: str | None = None, narrative: str | None = None, withdrawn: bool = False) -> dict[str, Any]:
        rid = record_id or f"{kind.upper()[:3]}{next(self._ids):05d}"
        out_people = []
        for i, p in enumerate(people, 1):
            p = dict(p)
            pid = p.pop("_pid")
            ref = p.pop("ref", f"p{i}")
            if p["role"] != "professional":
                self.links[(agency, rid, ref)] = pid
            out_people.append({"ref": ref, **p})
        occurred_at = when(occurred)
        obj: dict[str, Any] = {
            "schema": "openmash.record/1", "source": {"agency": agency}, "record_id": rid, "version": version,
            "kind": kind, "occurred_at": occurred_at, "recorded_at": when(recorded) if recorded else occurred_at,
            "people": out_people, "details": details or {},
        }
        if address is not None:
            obj["address"] = address
        if ended is not None:
            obj["ended_at"] = when(ended)
        if narrative is not None:
            obj["narrative"] = narrative
        if withdrawn:
            obj["withdrawn"] = True
        return obj

    def incident(self, occurred: str, *people: dict[str, Any], yes: int = 2, officer: str = "standard",
                 **kw: Any) -> dict[str, Any]:
        details = {"dash": dash(yes), "officer_risk": officer, "officer_rationale": "rationale",
                   "children_seen": [], "offences": ["Assault"], "powers_used": ["arrest"]}
        details.update(kw.pop("details", {}))
        return self.record("da_incident", occurred, *people, details=details, **kw)

    def backfill(self, *records: dict[str, Any]) -> None:
        self.store.ingest(records, live=False)

    def live(self, *records: dict[str, Any]) -> None:
        self.store.ingest(records, live=True)

    def notifications(self, record: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        out = self.store.export_notifications()
        if record is None:
            return out
        return [n for n in out if n["source"]["record_id"] == record["record_id"]]

    def notification(self, record: dict[str, Any], agency: str, team: str | None = None) -> dict[str, Any] | None:
        found = [n for n in self.notifications(record)
                 if n["recipient"]["agency"] == agency and (team is None or n["recipient"]["team"] == team)]
        assert len(found) <= 1
        return found[0] if found else None

    def reasons(self, record: dict[str, Any]) -> dict[tuple[str, str | None], list[str]]:
        return {(n["recipient"]["agency"], n["recipient"]["team"]): n["reasons"] for n in self.notifications(record)}

    def alerts(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [a for a in self.store.export_alerts() if kind is None or a["kind"] == kind]

    def assessment(self, record: dict[str, Any]) -> Any:
        for outcome in reversed(self.store.outcomes):
            if outcome.subject.record.record_id == record["record_id"]:
                return outcome.assessment
        raise KeyError(record["record_id"])
