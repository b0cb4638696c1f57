"""Assessment of one version of a ``da_incident``: who is involved, the risk level, and the facts rows need.

Worked out in backfill too (nothing is sent then), so that later counts — repeat
incidents, repeat MARAC — are the same as if every incident had been processed live.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from openmash.intake.domain.address import NormalisedAddress, same_household
from openmash.intake.domain.record import PersonMention
from openmash.protocol.domain.ages import Ages
from openmash.protocol.domain.evaluation import Evaluation
from openmash.protocol.domain.history import (
    IncidentFacts,
    KnownAddress,
    LinkedVersion,
    MentionKey,
    PersonHistory,
    subject_mention,
    usable_address,
)
from openmash.protocol.domain.risk import RiskAssessment, VictimEvidence, assess
from openmash.protocol.domain.windows import within_months

PRESENT = "present"
LIVES_IN_HOUSEHOLD = "lives_in_household"
ALLEGED_TO_HAVE_CAUSED_HARM = "alleged_to_have_caused_harm"


@dataclass(frozen=True, slots=True)
class Placement:
    """A child's school or a person's GP practice (§2.3), with where it came from."""

    code: str
    source: LinkedVersion | None  # the open enrolment/registration, or None when from the incident record
    incident_code: str | None = None  # the code the incident record gave, when it differs

    @property
    def differs(self) -> bool:
        return self.incident_code is not None and self.incident_code != self.code


@dataclass(frozen=True, slots=True)
class ChildInvolved:
    person_id: str
    mention: PersonMention  # the mention that cites them (on R, or the one giving their latest known address)
    cite: MentionKey
    named: bool
    roles: frozenset[str]
    ages: Ages
    school: Placement | None
    gp: Placement | None

    @property
    def perpetrator(self) -> bool:
        return "perpetrator" in self.roles

    @property
    def involvement(self) -> str:
        if self.perpetrator:
            return ALLEGED_TO_HAVE_CAUSED_HARM
        if not self.named or (self.roles and self.roles <= {"child_in_household"}):
            return LIVES_IN_HOUSEHOLD
        return PRESENT


@dataclass(frozen=True, slots=True)
class PregnantWoman:
    person_id: str
    mention: PersonMention
    booking: LinkedVersion | None  # None when recorded ``pregnant: true`` on the incident itself


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open supervision, order or episode of a victim or perpetrator at the incident."""

    person_id: str
    kind: str
    span: LinkedVersion
    perpetrator: bool

    @property
    def offender_manager_team(self) -> str | None:
        manager = self.span.record.details.get("offender_manager")
        team = manager.get("team") if isinstance(manager, Mapping) else None
        return team.strip() or None if isinstance(team, str) else None


@dataclass
class IncidentAssessment:
    evaluation: Evaluation
    victims: list[str]
    perpetrators: list[str]
    risk: RiskAssessment
    children: list[ChildInvolved]
    pregnant: list[PregnantWoman]
    open_cases: list[OpenCase]
    victim_gps: dict[str, Placement]
    perpetrator_gps: dict[str, Placement]
    repeat_marac_evidence: dict[str, list[LinkedVersion]]
    escalation_evidence: dict[str, list[LinkedVersion]]
    #: People whose latest known address for the incident is confidential (§4.4 location hints).
    at_confidential_address: dict[str, KnownAddress] = field(default_factory=dict)
    #: What every recipient's content shares (the linked history, the confidential context), worked out once.
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> LinkedVersion:
        return self.evaluation.subject

    @property
    def level(self) -> str:
        return self.risk.level

    @cached_property
    def child_ids(self) -> list[str]:
        return [c.person_id for c in self.children]

    def child(self, person_id: str) -> ChildInvolved | None:
        return next((c for c in self.children if c.person_id == person_id), None)

    def is_child_perpetrator(self, person_id: str) -> bool:
        child = self.child(person_id)
        return child is not None and child.perpetrator

    @property
    def involved(self) -> list[str]:
        """Everyone named (not professionals), then the children found from history."""
        return list(self.evaluation.named) + [c.person_id for c in self.children if not c.named]

    def eligible_high_victims(self) -> list[str]:
        """Victims whose own level is high and who are old enough for MARAC and IDVA (§1.7, §2.5)."""
        return [v.person_id for v in self.risk.victims if v.high and not v.under_age]

    def facts(self, *, marac_notified: bool = False) -> IncidentFacts:
        record = self.subject.record
        return IncidentFacts(
            key=record.key, version=record.version, seq=self.subject.seq, occurred_at=record.occurred_at,
            recorded_at=record.recorded_at, level=self.level, criteria=self.risk.criteria,
            dash_yes=self.risk.dash_yes, children=frozenset(self.child_ids),
            child_mentions=tuple(c.cite for c in self.children), marac_notified=marac_notified,
        )

    def explain(self) -> dict[str, Any]:
        return {
            "risk": self.risk.as_json(),
            "victims": self.victims,
            "perpetrators": self.perpetrators,
            "children_involved": [
                {"person_id": c.person_id, "cite": list(c.cite), "named": c.named, "ages": list(c.ages.values),
                 "involvement": c.involvement, "school": c.school.code if c.school else None,
                 "gp": c.gp.code if c.gp else None}
                for c in self.children
            ],
            "pregnant_women": [
                {"person_id": p.person_id, "from": "incident record" if p.booking is None else
                 f"{p.booking.record.agency}:{p.booking.record.record_id}"} for p in self.pregnant
            ],
            "open_cases": [
                {"person_id": o.person_id, "kind": o.kind, "record": f"{o.span.record.agency}:{o.span.record.record_id}",
                 "perpetrator": o.perpetrator} for o in self.open_cases
            ],
            "confidential_latest_address": sorted(self.at_confidential_address),
        }


def _code(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _open_placement(history: PersonHistory, kind: str, detail_key: str, mention_key: str) -> Placement | None:
    """From the open span of ``kind``, the latest by occurred_at; its detail, else the subject's own field."""
    spans = sorted(history.open_spans(kind), key=lambda e: e.order, reverse=True)
    for span in spans:
        code = _code(span.record.details.get(detail_key))
        if code is None:
            subject = subject_mention(span, history.person_id)
            code = _code(getattr(subject, mention_key, None)) if subject else None
        if code is not None:
            return Placement(code, span)
    return None


def placement(ev: Evaluation, person_id: str, kind: str, detail_key: str, mention_key: str) -> Placement | None:
    """§2.3: the open span wins; only when none is open, what the incident record gives."""
    on_incident = next((c for m in ev.named.get(person_id, ()) if (c := _code(getattr(m, mention_key))) is not None),
                       None)
    found = _open_placement(ev.history(person_id), kind, detail_key, mention_key)
    if found is not None:
        return Placement(found.code, found.source, on_incident if on_incident and on_incident != found.code else None)
    if on_incident is not None:
        return Placement(on_incident, None)
    return None


def school_of(ev: Evaluation, person_id: str) -> Placement | None:
    return placement(ev, person_id, "school_enrolment", "school_urn", "school_urn")


def gp_of(ev: Evaluation, person_id: str) -> Placement | None:
    found = placement(ev, person_id, "gp_registration", "ods_code", "gp_ods_code")
    return Placement(found.code.upper(), found.source, found.incident_code) if found else None


def _due_date(booking: LinkedVersion, person_id: str) -> dt.date | None:
    value = booking.record.details.get("due_date")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    subject = subject_mention(booking, person_id)
    return subject.due_date if subject else None


def pregnant_women(ev: Evaluation) -> list[PregnantWoman]:
    """§2.2: named, not a perpetrator; pregnant on the incident, or a current booking and no later birth."""
    out: list[PregnantWoman] = []
    grace = dt.timedelta(days=ev.policy.pregnancy_grace_days)
    for pid, mentions in ev.named.items():
        if "perpetrator" in ev.roles(pid):
            continue
        flagged = next((m for m in mentions if m.pregnant is True), None)
        if flagged is not None:
            out.append(PregnantWoman(pid, flagged, None))
            continue
        history = ev.history(pid)
        births = history.records("birth", ("parent",))
        for booking in sorted(history.records("maternity_booking", ("subject",)), key=lambda e: e.order, reverse=True):
            due = _due_date(booking, pid)
            if due is None or due + grace < ev.day:
                continue
            if any(b.record.occurred_at > booking.record.occurred_at for b in births):
                continue
            out.append(PregnantWoman(pid, ev.primary_mention(pid), booking))
            break
    return out


def _children(ev: Evaluation) -> list[ChildInvolved]:
    record = ev.record
    children: list[ChildInvolved] = []
    named = list(ev.named)
    ev.prefetch(named)
    for pid in named:
        if ev.is_child(pid):
            mention = ev.primary_mention(pid)
            children.append(ChildInvolved(
                pid, mention, (record.agency, record.record_id, mention.ref), True, ev.roles(pid), ev.ages(pid),
                school_of(ev, pid), gp_of(ev, pid)))
    # (b) children living where the incident happened or where a victim or perpetrator lives.
    targets = []
    incident_address = usable_address(record.address)
    if incident_address is not None:
        targets.append(incident_address)
    for pid in ev.in_role("victim", "perpetrator"):
        known = ev.address_for_household(pid)
        if known is not None:
            targets.append(known.normalised)
    found: dict[str, None] = {}
    # The incident, victim and perpetrator are usually at one address: look each household up once.
    distinct: list[NormalisedAddress] = []
    for target in targets:
        if not any(same_household(target, seen) for seen in distinct):
            distinct.append(target)
    for target in distinct:
        for pid in ev.living_at(target, exclude=named):
            found.setdefault(pid, None)
    for pid in found:
        if not ev.is_child(pid):
            continue
        latest = ev.latest_known_address(pid)
        assert latest is not None  # living_at only returns people with one
        children.append(ChildInvolved(
            pid, latest.mention, latest.cite, False, frozenset(), ev.ages(pid), school_of(ev, pid), gp_of(ev, pid)))
    return children


def _incidents_in_window(ev: Evaluation, person_id: str, roles: tuple[str, ...], months: int) -> list[LinkedVersion]:
    at = ev.record.occurred_at
    return [
        e for e in ev.history(person_id).records("da_incident", roles)
        if within_months(e.record.occurred_at, at, months)
    ]


def _repeat_marac(ev: Evaluation, person_id: str) -> list[LinkedVersion]:
    """§1.8: a MARAC referral naming them victim, or an earlier incident that caused a MARAC notification."""
    months = ev.policy.risk.repeat_marac_window_months
    at = ev.record.occurred_at
    history = ev.history(person_id)
    evidence = [e for e in history.records("marac_referral", ("victim",)) if within_months(e.record.occurred_at, at, months)]
    earlier = [e for e in history.records("da_incident", ("victim",))
               if e.key != ev.record.key and within_months(e.record.occurred_at, at, months)]
    if earlier:
        facts = ev.provider.incident_facts([e.key for e in earlier], ev.cursor)
        evidence += [e for e in earlier if (f := facts.get(e.key)) is not None and f.marac_notified]
    return evidence


def assess_incident(ev: Evaluation) -> IncidentAssessment:
    policy = ev.policy
    victims = ev.in_role("victim")
    perpetrators = ev.in_role("perpetrator")
    ev.prefetch(victims + perpetrators)
    escalation: dict[str, list[LinkedVersion]] = {}
    repeat: dict[str, list[LinkedVersion]] = {}
    evidence: list[VictimEvidence] = []
    for pid in victims:
        escalation[pid] = _incidents_in_window(ev, pid, policy.risk.potential_escalation_roles,
                                               policy.risk.potential_escalation_window_months)
        repeat[pid] = _repeat_marac(ev, pid)
        under_age = ev.ages(pid).any_below(policy.people.domestic_abuse_min_age)
        evidence.append(VictimEvidence(pid, len(escalation[pid]), bool(repeat[pid]), under_age))
    risk = assess(ev.record.details, evidence, policy.risk)

    open_cases: list[OpenCase] = []
    span_kinds = [row.span_kind for row in policy.rows_for("open_span") if row.span_kind]
    for pid in dict.fromkeys(victims + perpetrators):
        history = ev.history(pid)
        for kind in dict.fromkeys(span_kinds):
            for span in history.open_spans(kind):
                open_cases.append(OpenCase(pid, kind, span, pid in perpetrators))

    children = _children(ev)
    assessment = IncidentAssessment(
        evaluation=ev, victims=victims, perpetrators=perpetrators, risk=risk, children=children,
        pregnant=pregnant_women(ev), open_cases=open_cases,
        victim_gps={pid: gp for pid in victims if (gp := gp_of(ev, pid)) is not None},
        perpetrator_gps={pid: gp for pid in perpetrators
                         if (gp := _open_placement(ev.history(pid), "gp_registration", "ods_code", "gp_ods_code"))},
        repeat_marac_evidence=repeat, escalation_evidence=escalation,
    )
    for pid in assessment.involved:
        latest = ev.latest_known_address(pid)
        if ev.is_confidential(latest):
            assert latest is not None
            assessment.at_confidential_address[pid] = latest
    return assessment
