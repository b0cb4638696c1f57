"""A family whose story the casework pages must tell, as contract records, ingested like any feed.

Amy (born 2010) has lived with domestic abuse since 2013: ten incidents in backfill, then a live
incident in March 2025 in which her baby sister Lily is present. Their mother Anna is the victim and
Mark the alleged perpetrator. The live incident is high risk (15 DASH answers yes), so it goes to the
front door, health visiting (Lily is under 5), school nursing (Amy is school age), MARAC and the IDVA.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management import call_command

HOME = {"lines": ["14 Mill Lane"], "town": "Northton", "postcode": "NT1 2AB"}
REFUGE = {"lines": ["3 Hidden Close"], "town": "Southby", "postcode": "SB9 9ZZ", "confidential": True}
LIVE_INCIDENT = "NCH-LIVE-1"


def _person(ref: str, role: str, given: str, family: str, dob: str, sex: str, **extra: Any) -> dict[str, Any]:
    return {"ref": ref, "role": role, "given_names": given, "family_name": family, "date_of_birth": dob,
            "sex": sex, "address": HOME, **extra}


def anna(role: str = "victim") -> dict[str, Any]:
    return _person("p1", role, "Anna", "Nowak", "1990-04-12", "female", agency_person_id="PN100", language="pl",
                   interpreter_needed=True)


def mark(role: str = "perpetrator") -> dict[str, Any]:
    return _person("p2", role, "Mark", "Smith", "1987-09-30", "male", agency_person_id="PN200")


def amy(role: str = "child_present") -> dict[str, Any]:
    return _person("c1", role, "Amy", "Smith", "2010-03-03", "female", agency_person_id="PN300")


def lily(role: str = "child_present") -> dict[str, Any]:
    return _person("c2", role, "Lily", "Smith", "2023-02-01", "female", agency_person_id="PN400")


def _record(agency: str, record_id: str, kind: str, occurred: str, recorded: str, people: list[dict[str, Any]],
            **fields: Any) -> dict[str, Any]:
    return {"schema": "openmash.record/1", "source": {"agency": agency}, "record_id": record_id, "version": 1,
            "kind": kind, "occurred_at": occurred, "recorded_at": recorded, "people": people, **fields}


def dash(yes: int) -> dict[str, Any]:
    return {"completed": True, "answers": {str(n): ("yes" if n <= yes else "no") for n in range(1, 28)}}


INCIDENT_DATES = ["2013-06-01", "2015-02-11", "2016-08-20", "2018-01-05", "2019-07-14", "2021-03-30",
                  "2022-11-02", "2023-09-09", "2024-05-17", "2024-10-01"]


def history() -> list[dict[str, Any]]:
    out = []
    for n, day in enumerate(INCIDENT_DATES, start=1):
        out.append(_record(
            "police", f"NCH-H{n:02d}", "da_incident", f"{day}T21:00:00+00:00", f"{day}T23:00:00+00:00",
            [anna(), mark(), amy("child_present" if n % 2 else "child_in_household")],
            address=HOME, details={"dash": dash(4), "officer_risk": "standard",
                                   "children_seen": [{"ref": "c1", "seen": True, "demeanour": "quiet",
                                                      "said": f"I hid in my room ({day})"}]}))
    out.append(_record("csc", "CP-1", "cp_plan", "2024-06-01T09:00:00+00:00", "2024-06-01T10:00:00+00:00",
                       [amy("subject")], details={"category": "emotional"}))
    out.append(_record("school", "ENR-1", "school_enrolment", "2021-09-01T09:00:00+00:00",
                       "2021-09-01T10:00:00+00:00", [amy("subject")], details={"school_urn": "123456"}))
    # Anna again, day and month of birth swapped, at another address: the linker is unsure (match review).
    out.append(_record("ed", "ED-R1", "ed_attendance", "2024-12-01T10:00:00+00:00", "2024-12-01T12:00:00+00:00",
                       [{"ref": "p1", "role": "subject", "given_names": "Ana", "family_name": "Nowak",
                         "date_of_birth": "1990-12-04", "sex": "female",
                         "address": {"lines": ["2 Oak Road"], "town": "Northton", "postcode": "NT4 7QQ"}}],
                       details={"reason": "Fall"}))
    out.append(_record("probation", "SUP-1", "probation_supervision", "2024-01-10T09:00:00+00:00",
                       "2024-01-10T10:00:00+00:00", [mark("subject")],
                       details={"order_type": "Community Order", "offender_manager": {"name": "P. Officer"}}))
    out.append(_record("midwifery", "BIRTH-1", "birth", "2023-02-01T09:00:00+00:00", "2023-02-02T10:00:00+00:00",
                       [lily("subject"), anna("parent")], details={"discharge_date": "2023-02-03"}))
    return out


def live() -> list[dict[str, Any]]:
    return [_record(
        "police", LIVE_INCIDENT, "da_incident", "2025-03-03T20:15:00+00:00", "2025-03-03T22:40:00+00:00",
        [anna(), mark(), amy("child_in_household"), lily()], address=HOME,
        details={"dash": dash(15), "officer_risk": "high", "officer_rationale": "Threats to kill, strangulation.",
                 "children_seen": [{"ref": "c2", "seen": True, "demeanour": "frightened", "said": "Daddy was shouting"},
                                   {"ref": "c1", "seen": True, "demeanour": "tearful",
                                    "said": "I want it to stop"}],
                 "offences": ["Assault by beating"], "powers_used": ["arrest", "dvpn"]},
        narrative="Officers attended 14 Mill Lane after a call from a neighbour.")]


def other_families() -> list[dict[str, Any]]:
    """Two more live incidents, so the queue has an order to keep: a medium-risk one with a baby (recorded
    last) and a standard-risk one with a teenager (recorded first)."""
    jones = {"lines": ["8 Quay Street"], "town": "Northton", "postcode": "NT2 5CD"}
    brown = {"lines": ["21 Hill Road"], "town": "Easton", "postcode": "ET1 1EF"}

    def adult(ref: str, role: str, given: str, family: str, address: dict[str, Any]) -> dict[str, Any]:
        return {"ref": ref, "role": role, "given_names": given, "family_name": family, "date_of_birth": "1992-02-02",
                "address": address}

    return [
        _record("police", "NCH-LIVE-2", "da_incident", "2025-03-04T01:00:00+00:00", "2025-03-04T03:00:00+00:00",
                [adult("p1", "victim", "Rhian", "Jones", jones), adult("p2", "perpetrator", "Owen", "Jones", jones),
                 {"ref": "c1", "role": "child_present", "given_names": "Ffion", "family_name": "Jones",
                  "date_of_birth": "2024-01-15", "address": jones}],
                address=jones, details={"dash": dash(6), "officer_risk": "medium"}),
        _record("police", "NCH-LIVE-3", "da_incident", "2025-03-02T10:00:00+00:00", "2025-03-02T11:00:00+00:00",
                [adult("p1", "victim", "Kate", "Brown", brown), adult("p2", "perpetrator", "Liam", "Brown", brown),
                 {"ref": "c1", "role": "child_in_household", "given_names": "Tom", "family_name": "Brown",
                  "date_of_birth": "2010-09-09", "address": brown}],
                address=brown, details={"dash": dash(2), "officer_risk": "standard"}),
    ]


def write(folder: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def ingest(folder: Path, *, extra_history: list[Path] = (), extra_live: list[Path] = ()) -> None:  # type: ignore[assignment]
    """Backfill the history (the family's and any extra feeds), then process the live feeds."""
    folder.mkdir(parents=True, exist_ok=True)
    for args in (["--backfill", *map(str, extra_history), str(write(folder, "family-history.jsonl", history()))],
                 [*map(str, extra_live), str(write(folder, "family-live.jsonl", live() + other_families()))]):
        try:
            call_command("ingest", *args, verbosity=0)
        except SystemExit as exit_:  # exit 1 when a generated feed holds deliberately bad lines
            assert exit_.code in (0, 1, None), exit_.code
