"""Who is told about a domestic abuse incident, why, how urgently and with what content (§2, §3 subjects).

Each row of the policy that fires adds a reason to one recipient — an (agency,
team) pair — and each recipient gets one notification per incident carrying
every reason, the most urgent priority, the earliest deadline and the highest
content level (§2.4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from openmash.protocol.domain.deadlines import WorkingCalendar, due_by, reads_before_school_today
from openmash.protocol.domain.history import MentionKey
from openmash.protocol.domain.incident import IncidentAssessment
from openmash.protocol.domain.policy import Policy, Row, highest_content_level, most_urgent

CSC_CHILD_AT_DA_INCIDENT = "CSC_CHILD_AT_DA_INCIDENT"


@dataclass(frozen=True, slots=True)
class Subject:
    """A person a notification is about, cited by a mention (``person_ref`` None only under §4.4)."""

    person_id: str
    agency: str
    record_id: str
    person_ref: str | None
    #: The mention the person is resolved from at export time (the cited one, or the hidden one).
    resolve_from: MentionKey

    def as_key(self) -> tuple[str, str, str, str | None]:
        return (self.person_id, self.agency, self.record_id, self.person_ref)


@dataclass
class Firing:
    """One row that fired for one recipient, with the people it concerns and why."""

    row: Row
    agency: str
    team: str | None
    people: list[str]
    perpetrator_facing: bool = False
    clients: list[str] = field(default_factory=list)
    why: str = ""


@dataclass
class PlannedNotification:
    agency: str
    team: str | None
    reasons: tuple[str, ...]
    priority: str
    due_by: dt.datetime
    content_level: str
    subjects: tuple[Subject, ...]
    perpetrator_facing: bool
    barred: bool
    #: People whose supervision, order or episode caused it (their address only, at health, when barred).
    clients: frozenset[str]
    #: The children whom the recipient concerns (a school: the children it teaches).
    children: tuple[str, ...]
    firings: tuple[Firing, ...]
    read_before_school_today: bool | None = None
    notes_unborn: bool = False

    @property
    def recipient(self) -> tuple[str, str | None]:
        return (self.agency, self.team)


def _everyone(a: IncidentAssessment) -> list[str]:
    return list(dict.fromkeys(a.child_ids + a.victims + a.perpetrators))


def _team_for(policy: Policy, agency: str, a: IncidentAssessment, people: Sequence[str]) -> str | None:
    mapping = policy.recipient_teams.get(agency)
    if mapping is None:
        return None
    ev = a.evaluation
    for pid in people:
        known = ev.address_for_household(pid)
        if known is not None and known.normalised.postcode:
            return mapping.team_for(known.normalised.postcode)
    incident = a.subject.record.address
    return mapping.team_for(incident.postcode_normalised if incident else None)


def fire_rows(a: IncidentAssessment, policy: Policy) -> list[Firing]:
    """Every (row, recipient) that fires for this incident, in policy row order."""
    out: list[Firing] = []
    children = a.children
    high = a.risk.high
    facing_rows = policy.confidentiality.child_perpetrator_facing_rows

    def add(row: Row, people: list[str], team: str | None = None, *, facing: bool = False,
            clients: Iterable[str] = (), why: str = "") -> None:
        if row.recipient not in ("school", "gp", "probation") and team is None:
            team = _team_for(policy, row.recipient, a, people)
        out.append(Firing(row, row.recipient, team, people, facing, list(clients), why))

    for row in policy.rows:
        rule = row.when
        if rule == "child_involved":
            if children:
                add(row, _everyone(a), why=f"{len(children)} child(ren) involved")
            elif high and a.pregnant and policy.options.csc_for_unborn_at_high:
                add(row, _everyone(a) + [p.person_id for p in a.pregnant], why="unborn child at high risk")
        elif rule == "victim_under_age":
            assert row.below_age is not None
            young = [v for v in a.victims if a.evaluation.ages(v).any_below(row.below_age)]
            if young:
                add(row, _everyone(a), why=f"victim under {row.below_age}")
        elif rule == "child_in_age_band":
            low, top = row.min_age or 0, row.max_age if row.max_age is not None else 200
            band = [c for c in children if not c.ages.known or c.ages.any_between(low, top)]
            if band:
                add(row, [c.person_id for c in band],
                    facing=row.reason in facing_rows and any(c.perpetrator for c in band),
                    why=f"child(ren) aged {low}-{top} or of unknown age")
        elif rule == "child_with_school":
            schools: dict[str, list[str]] = {}
            for c in children:
                if c.school is not None:
                    schools.setdefault(c.school.code, []).append(c.person_id)
            for urn, pupils in schools.items():
                facing = row.reason in facing_rows and any(a.is_child_perpetrator(p) for p in pupils)
                add(row, pupils, f"URN:{urn}", facing=facing, why=f"school {urn}")
        elif rule == "pregnant_woman_involved":
            if a.pregnant:
                add(row, [p.person_id for p in a.pregnant], why="pregnant woman involved")
        elif rule == "level_high":
            if high and (a.eligible_high_victims() or not a.victims):
                add(row, _everyone(a), why=f"level high ({', '.join(a.risk.criteria)})")
        elif rule == "repeat_marac":
            repeat = [v for v in a.eligible_high_victims() if a.repeat_marac_evidence.get(v)]
            if high and repeat:
                add(row, _everyone(a), why="repeat MARAC")
        elif rule == "open_span":
            if row.needs_child and not children:
                continue
            groups: dict[str | None, list[str]] = {}
            facing_by_team: dict[str | None, bool] = {}
            for case in a.open_cases:
                if case.kind != row.span_kind:
                    continue
                team = case.offender_manager_team if row.recipient == "probation" else \
                    _team_for(policy, row.recipient, a, [case.person_id])
                groups.setdefault(team, [])
                if case.person_id not in groups[team]:
                    groups[team].append(case.person_id)
                facing_by_team[team] = facing_by_team.get(team, False) or case.perpetrator
            for team, clients in groups.items():
                add(row, clients, team, facing=facing_by_team[team], clients=clients,
                    why=f"open {row.span_kind}")
        elif rule == "gp_at_high_risk":
            if not high:
                continue
            practices: dict[str, list[str]] = {}
            for pid in a.eligible_high_victims() + [v.person_id for v in a.risk.victims if v.high and v.under_age]:
                gp = a.victim_gps.get(pid)
                if gp is not None:
                    practices.setdefault(gp.code, []).append(pid)
            for kid in children:
                if kid.gp is not None and kid.person_id not in practices.get(kid.gp.code, []):
                    practices.setdefault(kid.gp.code, []).append(kid.person_id)
            perpetrator_practices = {gp.code.upper() for gp in a.perpetrator_gps.values()}
            for code, people in practices.items():
                facing = code.upper() in perpetrator_practices or (
                    row.reason in facing_rows and any(a.is_child_perpetrator(p) for p in people))
                add(row, people, f"ODS:{code.upper()}", facing=facing, why=f"GP practice {code}")
    return out


def _subject(a: IncidentAssessment, pid: str, barred: bool) -> Subject:
    record = a.subject.record
    ev = a.evaluation
    if pid in ev.named:
        mention = ev.primary_mention(pid)
        cite = (record.agency, record.record_id, mention.ref)
        return Subject(pid, record.agency, record.record_id, mention.ref, cite)
    child = a.child(pid)
    assert child is not None, "only named people and children found from history are subjects"
    if barred and pid in a.at_confidential_address:
        # §4.4: the mention giving a confidential address would reveal its record; cite the incident.
        return Subject(pid, record.agency, record.record_id, None, child.cite)
    return Subject(pid, child.cite[0], child.cite[1], child.cite[2], child.cite)


def plan_notifications(a: IncidentAssessment, policy: Policy, calendar: WorkingCalendar) -> list[PlannedNotification]:
    """One planned notification per recipient, combining every row that fired for it."""
    recorded_at = a.subject.record.recorded_at
    level = a.level
    grouped: dict[tuple[str, str | None], list[Firing]] = {}
    for firing in fire_rows(a, policy):
        grouped.setdefault((firing.agency, firing.team), []).append(firing)
    planned = []
    for (agency, team), firings in grouped.items():
        rows = [f.row for f in firings]
        facing = any(f.perpetrator_facing for f in firings)
        barred = facing or policy.confidentiality.is_barred(agency)
        people = list(dict.fromkeys(p for f in firings for p in f.people))
        children = [p for p in people if a.child(p) is not None]
        if any(f.row.content_level != "minimal" for f in firings):
            children = list(a.child_ids)
        read_early = None
        if policy.options.school_same_day_before is not None and any(r.due == "school" for r in rows):
            read_early = reads_before_school_today(recorded_at, policy.options.school_same_day_before,
                                                   policy.deadlines, calendar)
        planned.append(PlannedNotification(
            agency=agency,
            team=team,
            reasons=tuple(dict.fromkeys(r.reason for r in rows)),
            priority=most_urgent([r.priority_for(level) for r in rows]),
            due_by=min(due_by(r.deadline_for(level), recorded_at, policy.deadlines, calendar) for r in rows),
            content_level=highest_content_level([r.content_level for r in rows]),
            subjects=tuple(_subject(a, p, barred) for p in people),
            perpetrator_facing=facing,
            barred=barred,
            clients=frozenset(p for f in firings for p in f.clients),
            children=tuple(children),
            firings=tuple(firings),
            read_before_school_today=read_early,
            notes_unborn=not a.children and any(r.reason == CSC_CHILD_AT_DA_INCIDENT for r in rows),
        ))
    return planned
