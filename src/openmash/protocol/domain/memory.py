"""An in-memory protocol store: the whole engine over dictionaries, with person links from an oracle.

Used by the tests and by ``openmash protocol simulate`` to check the rules on a
county's feeds without a database (for example with ``truth_links.csv`` as the
identity oracle). It follows the contract's ingest order and versioning (§1, §8).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openmash.intake.domain.address import (
    NormalisedAddress,
    building_lookup_keys,
    household_lookup_keys,
    normalise_address,
    same_building,
)
from openmash.intake.domain.record import Address, Record
from openmash.protocol.domain import amendments
from openmash.protocol.domain.alerts import Occurrence, PlannedAlert
from openmash.protocol.domain.content import iso, withdrawn_content
from openmash.protocol.domain.deadlines import WorkingCalendar
from openmash.protocol.domain.engine import (
    CONFIDENTIAL_ADDRESS_DISCLOSED,
    Outcome,
    Rendered,
    audience_from_json,
    audience_json,
    disclosure_due,
    process_version,
    subjects_json,
)
from openmash.protocol.domain.history import (
    Cursor,
    IncidentFacts,
    LinkedVersion,
    RecordKey,
    known_address_on,
)
from openmash.protocol.domain.ids import alert_id, notification_id
from openmash.protocol.domain.policy import Policy
from openmash.protocol.domain.redaction import redact

PersonOracle = Callable[[str, str, str], str | None]


@dataclass
class MemoryStore:
    policy: Policy
    oracle: PersonOracle
    versions: dict[RecordKey, list[LinkedVersion]] = field(default_factory=lambda: defaultdict(list))
    by_person: dict[str, set[RecordKey]] = field(default_factory=lambda: defaultdict(set))
    households: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    confidential: dict[str, list[tuple[Address, NormalisedAddress]]] = field(default_factory=lambda: defaultdict(list))
    facts: dict[RecordKey, list[IncidentFacts]] = field(default_factory=lambda: defaultdict(list))
    child_incidents: dict[str, set[RecordKey]] = field(default_factory=lambda: defaultdict(set))
    kinds_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    keys_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.calendar = WorkingCalendar(self.policy.bank_holidays)

    # --- HistoryProvider ------------------------------------------------------------------------

    def _visible(self, key: RecordKey, cursor: Cursor) -> LinkedVersion | None:
        seen = [v for v in self.versions.get(key, ()) if cursor.sees(v.record.recorded_at, v.seq)]
        if not seen:
            return None
        latest = max(seen, key=lambda v: v.record.version)
        return None if latest.record.withdrawn or self.versions[key][-1].record.withdrawn else latest

    def linked_versions(self, person_ids: Collection[str], cursor: Cursor) -> Sequence[LinkedVersion]:
        keys: set[RecordKey] = set()
        for pid in person_ids:
            keys |= self.by_person.get(pid, set())
        wanted = set(person_ids)
        out = []
        for key in sorted(keys):
            version = self._visible(key, cursor)
            if version is not None and wanted & set(version.person_ids.values()):
                out.append(version)
        return out

    def household_candidates(self, address: NormalisedAddress, cursor: Cursor) -> Collection[str]:
        found: set[str] = set()
        for key in household_lookup_keys(address):
            found |= self.households.get(key, set())
        return found

    def confidential_in_building(self, address: NormalisedAddress) -> Sequence[Address]:
        out: list[Address] = []
        for key in building_lookup_keys(address):
            for raw, norm in self.confidential.get(key, ()):
                if same_building(norm, address) and raw not in out:
                    out.append(raw)
        return out

    def is_confidential(self, address: NormalisedAddress) -> bool:
        return address.confidential or bool(self.confidential_in_building(address))

    def incident_facts(self, keys: Collection[RecordKey], cursor: Cursor) -> Mapping[RecordKey, IncidentFacts]:
        out = {}
        for key in keys:
            seen = [f for f in self.facts.get(key, ()) if cursor.sees(f.recorded_at, f.seq)]
            if seen and self._visible(key, cursor) is not None:
                out[key] = max(seen, key=lambda f: f.seq)
        return out

    def incidents_with_child(self, person_id: str, cursor: Cursor) -> Collection[RecordKey]:
        return self.child_incidents.get(person_id, set())

    def persons_with_kind(self, kinds: Collection[str], person_ids: Collection[str] | None,
                          cursor: Cursor) -> Collection[str]:
        pool = self.kinds_of if person_ids is None else {p: self.kinds_of.get(p, set()) for p in person_ids}
        return {p for p, held in pool.items() if held & set(kinds)}

    def household_keys_of(self, person_ids: Collection[str], cursor: Cursor) -> Mapping[str, Collection[str]]:
        return {p: self.keys_of.get(p, set()) for p in person_ids}

    def persons_at_keys(self, keys: Collection[str], cursor: Cursor) -> Collection[str]:
        return {p for k in keys for p in self.households.get(k, set())}

    # --- AlertLedger ----------------------------------------------------------------------------

    def raised(self, kind: str, person_id: str | None, record: RecordKey | None) -> Sequence[Occurrence]:
        return [o for o in self.occurrences if o.kind == kind and o.person_id == person_id and o.record == record]

    # --- ingest ---------------------------------------------------------------------------------

    def ingest(self, objects: Iterable[Mapping[str, Any]], *, live: bool) -> dict[str, int]:
        """One command: every record processed in ascending recorded_at (stable for ties)."""
        counts = {"new": 0, "updated": 0, "duplicate": 0, "stale": 0}
        records = [(Record.from_json(o), o) for o in objects]
        records.sort(key=lambda ro: ro[0].recorded_at)
        for record, raw in records:
            stored = self.versions.get(record.key)
            if stored:
                current = max(v.record.version for v in stored)
                if record.version == current:
                    counts["duplicate"] += 1
                    continue
                if record.version < current:
                    counts["stale"] += 1
                    continue
                counts["updated"] += 1
            else:
                counts["new"] += 1
            self.process(record, raw, live=live, first=not stored)
        return counts

    def process(self, record: Record, raw: Mapping[str, Any], *, live: bool, first: bool) -> Outcome:
        self.seq += 1
        person_ids = {}
        for p in record.people:
            if p.is_linkable:
                person_ids[p.ref] = self.oracle(record.agency, record.record_id, p.ref) or \
                    f"unlinked:{record.agency}:{record.record_id}:{p.ref}"
        version = LinkedVersion(record, copy.deepcopy(dict(raw)), self.seq, person_ids, first_version=first)
        self.versions[record.key].append(version)
        for ref, pid in person_ids.items():
            self.by_person[pid].add(record.key)
            self.kinds_of[pid].add(record.kind)
            mention = record.person(ref)
            assert mention is not None
            known = known_address_on(version, mention)
            if known is not None:
                for key in household_lookup_keys(known.normalised):
                    self.households[key].add(pid)
                    self.keys_of[pid].add(key)
        newly = self._remember_confidential(raw)
        existing = [
            amendments.StoredNotification(n["notification_id"], n["_due_by"], n["_signature"],
                                          n["withdrawn_at"] is not None)
            for n in self.notifications.values()
            if n["_family"] == "incident" and (n["source"]["agency"], n["source"]["record_id"]) == record.key
        ]
        outcome = process_version(version, self, self, existing, self.policy, self.calendar, live=live)
        self.outcomes.append(outcome)
        if outcome.facts is not None:
            self.facts[record.key].append(outcome.facts)
            for pid in outcome.facts.children:
                self.child_incidents[pid].add(record.key)
        self._apply(outcome)
        if newly:
            self._late_confidentiality(version, newly, live=live)
        return outcome

    def _remember_confidential(self, raw: Mapping[str, Any]) -> list[Address]:
        newly: list[Address] = []
        candidates = [raw.get("address")] + [p.get("address") for p in raw.get("people") or ()]
        for obj in candidates:
            if not isinstance(obj, Mapping) or obj.get("confidential") is not True:
                continue
            address = Address.from_json(obj)
            assert address is not None
            norm = normalise_address(address)
            if not self.confidential_in_building(norm):
                newly.append(address)
            for key in building_lookup_keys(norm):
                if all(a != address for a, _ in self.confidential[key]):
                    self.confidential[key].append((address, norm))
        return newly

    # --- applying outcomes ----------------------------------------------------------------------

    def _apply(self, outcome: Outcome) -> None:
        record = outcome.subject.record
        for change in outcome.changes:
            if change.action == amendments.WITHDRAW:
                n = self.notifications[change.notification_id]
                n["withdrawn_at"] = iso(record.recorded_at)
                if amendments.RECORD_CORRECTED not in n["reasons"]:
                    n["reasons"].append(amendments.RECORD_CORRECTED)
                n["content"] = withdrawn_content(n["source"]["agency"], n["source"]["record_id"])
                n["source_version"] = record.version
                continue
            rendered = outcome.rendered[change.notification_id]
            previous = self.notifications.get(change.notification_id)
            n = self._notification(rendered, outcome.subject)
            assert change.due_by is not None
            n["due_by"], n["_due_by"] = iso(change.due_by), change.due_by
            if previous is not None:
                n["created_at"] = previous["created_at"]
                n["amended_at"] = iso(record.recorded_at)
            self.notifications[change.notification_id] = n
        for alert in outcome.alerts:
            self._raise(alert, outcome.subject)

    def _notification(self, r: Rendered, subject: LinkedVersion) -> dict[str, Any]:
        record = subject.record
        plan = r.plan
        n: dict[str, Any] = {
            "notification_id": r.notification_id,
            "created_at": iso(record.recorded_at),
            "due_by": iso(plan.due_by),
            "priority": plan.priority,
            "recipient": {"agency": plan.agency, "team": plan.team},
            "reasons": list(plan.reasons),
            "source": {"agency": record.agency, "record_id": record.record_id},
            "source_version": record.version,
            "subjects": subjects_json(plan.subjects),
            "content_level": plan.content_level,
            "content": r.content,
            "amended_at": None,
            "withdrawn_at": None,
            "_family": "incident",
            "_due_by": plan.due_by,
            "_signature": r.signature,
            "_audience": audience_json(r.audience),
        }
        if plan.read_before_school_today is not None:
            n["read_before_school_today"] = plan.read_before_school_today
        return n

    def _raise(self, alert: PlannedAlert, subject: LinkedVersion) -> None:
        aid = alert_id(alert.occurrence.identity)
        self.occurrences.append(alert.occurrence)
        self.alerts[aid] = {
            "alert_id": aid,
            "created_at": iso(subject.record.recorded_at),
            "kind": alert.kind,
            "person_id": alert.person_id,
            "recipient": {"agency": alert.agency, "team": alert.team},
            "evidence": [{"agency": a, "record_id": r} for a, r in alert.evidence],
            "note": alert.note,
        }

    def _late_confidentiality(self, version: LinkedVersion, newly: Sequence[Address], *, live: bool) -> None:
        """§4.6: re-render barred recipients' stored content; tell the front door what had been disclosed."""
        disclosed = []
        for n in self.notifications.values():
            audience = audience_from_json(n["_audience"])
            if not audience.barred or n["withdrawn_at"] is not None:
                continue
            widened = audience_from_json({**n["_audience"], "confidential": n["_audience"]["confidential"] + [
                {"lines": list(a.lines), "town": a.town, "postcode": a.postcode, "uprn": a.uprn,
                 "confidential": True} for a in newly]})
            content, _ = redact(n["content"], widened)
            if content != n["content"]:
                disclosed.append({"notification_id": n["notification_id"], "recipient": n["recipient"],
                                  "created_at": n["created_at"]})
                n["content"] = content
                n["_audience"] = audience_json(widened)
        if disclosed and live:
            record = version.record
            escalation = self.policy.escalation
            team = f"manager:{escalation.front_door_team}"
            nid = notification_id(record.agency, record.record_id, escalation.front_door_agency, team,
                                  CONFIDENTIAL_ADDRESS_DISCLOSED)
            self.notifications[nid] = {
                "notification_id": nid, "created_at": iso(record.recorded_at),
                "due_by": iso(disclosure_due(record.recorded_at, self.policy, self.calendar)),
                "priority": "immediate", "recipient": {"agency": escalation.front_door_agency, "team": team},
                "reasons": [CONFIDENTIAL_ADDRESS_DISCLOSED],
                "source": {"agency": record.agency, "record_id": record.record_id},
                "source_version": record.version, "subjects": [], "content_level": "full",
                "content": {"disclosures": disclosed}, "amended_at": None, "withdrawn_at": None,
                "_family": "disclosure", "_due_by": None, "_signature": {}, "_audience": {},
            }

    # --- exports --------------------------------------------------------------------------------

    def export_notifications(self) -> list[dict[str, Any]]:
        rows = []
        for n in self.notifications.values():
            row = {k: v for k, v in n.items() if not k.startswith("_")}
            row["subjects"] = [{k: v for k, v in s.items() if k != "resolve_from"} for s in n["subjects"]]
            rows.append(row)
        return sorted(rows, key=lambda r: (dt.datetime.fromisoformat(r["created_at"]), r["notification_id"]))

    def export_alerts(self) -> list[dict[str, Any]]:
        return sorted(self.alerts.values(), key=lambda r: (dt.datetime.fromisoformat(r["created_at"]), r["alert_id"]))


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8-sig") as handle:
        return [json.loads(line) for line in handle if line.strip()]
