"""Alerts of ``protocol-default.md`` §5, evaluated on every live record version of any kind.

Each alert is raised once per qualifying event: R, a booking and a supervision
are record identities, never versions, so a new version never repeats an alert.
``evidence`` lists the triggering record first, then each record meeting a condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from openmash.intake.domain.address import NormalisedAddress, same_household
from openmash.protocol.domain.evaluation import Evaluation
from openmash.protocol.domain.history import (
    KnownAddress,
    LinkedVersion,
    MentionKey,
    RecordKey,
    same_household_any,
)
from openmash.protocol.domain.incident import IncidentAssessment
from openmash.protocol.domain.windows import within_months

REPEAT_INCIDENTS = "REPEAT_INCIDENTS"
PERPETRATOR_NEW_HOUSEHOLD = "PERPETRATOR_NEW_HOUSEHOLD"
REPEAT_CONTACTS = "REPEAT_CONTACTS"
SUPERVISED_ADULT_WITH_CHILDREN = "SUPERVISED_ADULT_WITH_CHILDREN"
UNBORN_CHILD_DA = "UNBORN_CHILD_DA"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """What an alert is raised once per (§5 "once per")."""

    kind: str
    person_id: str | None = None
    record: RecordKey | None = None
    household: NormalisedAddress | None = None

    def same_as(self, other: Occurrence) -> bool:
        if (self.kind, self.person_id, self.record) != (other.kind, other.person_id, other.record):
            return False
        if self.household is None or other.household is None:
            return self.household is other.household
        return same_household(self.household, other.household)

    @property
    def identity(self) -> str:
        """Stable text from which the alert's id is derived."""
        household = self.household.household_key if self.household is not None else ""
        record = "|".join(self.record) if self.record else ""
        return f"alert|{self.kind}|{self.person_id or ''}|{record}|{household}"


class AlertLedger(Protocol):
    def raised(self, kind: str, person_id: str | None, record: RecordKey | None) -> Sequence[Occurrence]:
        """Alerts already raised of this kind for this person and/or record."""
        ...


@dataclass(frozen=True, slots=True)
class PlannedAlert:
    occurrence: Occurrence
    kind: str
    person_id: str
    agency: str
    team: str | None
    evidence: tuple[RecordKey, ...]
    note: str | None
    household_address: KnownAddress | None = None
    why: str = ""
    #: The mention the alert's person is resolved from at export time (person ids can merge later).
    cite: MentionKey | None = None


@dataclass
class _Collector:
    ev: Evaluation
    ledger: AlertLedger
    out: list[PlannedAlert] = field(default_factory=list)

    def add(self, alert: PlannedAlert) -> None:
        occ = alert.occurrence
        if any(occ.same_as(o) for o in self.ledger.raised(occ.kind, occ.person_id, occ.record)):
            return
        if any(occ.same_as(a.occurrence) for a in self.out):
            return
        self.out.append(alert)


def _evidence(subject: LinkedVersion, others: Iterable[LinkedVersion | RecordKey]) -> tuple[RecordKey, ...]:
    keys: dict[RecordKey, None] = {subject.key: None}
    for other in others:
        keys.setdefault(other.key if isinstance(other, LinkedVersion) else other, None)
    return tuple(keys)


def _cite_on_subject(ev: Evaluation, person_id: str) -> MentionKey | None:
    if person_id not in ev.named:
        return None
    return (ev.record.agency, ev.record.record_id, ev.primary_mention(person_id).ref)


def _by_order(versions: Iterable[LinkedVersion]) -> list[LinkedVersion]:
    return sorted(versions, key=lambda e: e.order)


def _repeat_incidents(c: _Collector, incident: IncidentAssessment) -> None:
    ev, policy = c.ev, c.ev.policy
    recipient = policy.alerts.recipients[REPEAT_INCIDENTS]
    at = ev.record.occurred_at
    for child in incident.children:
        keys = set(ev.provider.incidents_with_child(child.person_id, ev.cursor)) - {ev.record.key}
        facts = ev.provider.incident_facts(keys, ev.cursor)
        involved = sorted(
            [(f.occurred_at, f.key) for f in facts.values() if child.person_id in f.children]
            + [(at, ev.record.key)])
        hits: list[RecordKey] = []
        for threshold in policy.alerts.repeat_incidents:
            inside = [k for when, k in involved if within_months(when, at, threshold.months)]
            if len(inside) >= threshold.count:
                hits += inside
        if hits:
            when_of = {k: w for w, k in involved}
            evidence = sorted(set(hits) - {ev.record.key}, key=lambda k: (when_of[k], k))
            c.add(PlannedAlert(
                Occurrence(REPEAT_INCIDENTS, child.person_id, ev.record.key), REPEAT_INCIDENTS, child.person_id,
                recipient, None, _evidence(ev.subject, evidence), None,
                why=f"child involved in {len(evidence) + 1} incidents within the thresholds", cite=child.cite))


def _perpetrator_incidents(ev: Evaluation, person_id: str) -> list[LinkedVersion]:
    return [e for e in ev.history(person_id).records("da_incident", ("perpetrator",)) if e.key != ev.record.key]


def _children_with(ev: Evaluation, perpetrator_id: str, incident: IncidentAssessment | None) -> set[str]:
    """Every child involved in an incident in which this person was perpetrator."""
    incidents = _perpetrator_incidents(ev, perpetrator_id)
    facts = ev.provider.incident_facts([e.key for e in incidents], ev.cursor)
    children = {pid for f in facts.values() for pid in f.children}
    if incident is not None and perpetrator_id in incident.perpetrators:
        children |= set(incident.child_ids)
    return children


def _perpetrator_new_household(c: _Collector, incident: IncidentAssessment | None) -> None:
    ev, policy = c.ev, c.ev.policy
    recipient = policy.alerts.recipients[PERPETRATOR_NEW_HOUSEHOLD]
    # Only someone ever named on an incident can have been a perpetrator: read no other history.
    maybe = ev.provider.persons_with_kind(("da_incident",), list(ev.named), ev.cursor)
    for pid in ev.named:
        if pid not in maybe:
            continue
        earlier = _perpetrator_incidents(ev, pid)
        if not earlier:
            continue
        address = ev.known_address_on_subject(pid)
        on_birth = policy.options.pnh_on_birth and ev.record.kind == "birth" and "parent" in ev.roles(pid)
        if address is None and not on_birth:
            continue
        history = ev.history(pid)
        before = [k.normalised for k in history.known_addresses(exclude=ev.record.key)]
        known_children = _children_with(ev, pid, incident)
        children: list[str] = []
        if address is not None and not same_household_any(address.normalised, before):
            children = [x for x in ev.living_at(address.normalised, exclude=[pid])
                        if ev.is_child(x) and x not in known_children]
        if on_birth:
            babies = [x for x in ev.in_role("subject") if x != pid and ev.is_child(x) and x not in known_children]
            children += [b for b in babies if b not in children]
        if not children:
            continue
        household = address.normalised if address is not None else None
        evidence = _evidence(ev.subject, _by_order(earlier))
        c.add(PlannedAlert(
            Occurrence(PERPETRATOR_NEW_HOUSEHOLD, pid, None, household), PERPETRATOR_NEW_HOUSEHOLD, pid, recipient,
            None, evidence, None, address, why=f"former perpetrator now with child(ren) {', '.join(children)}",
            cite=_cite_on_subject(ev, pid)))


def _repeat_contacts(c: _Collector) -> None:
    ev, policy = c.ev, c.ev.policy
    if ev.record.kind != "csc_contact":
        return
    recipient = policy.alerts.recipients[REPEAT_CONTACTS]
    threshold = policy.alerts.repeat_contacts
    at = ev.record.occurred_at
    for pid in ev.in_role("subject"):
        if not ev.is_child(pid):
            continue
        contacts = [e for e in ev.history(pid).records("csc_contact", ("subject",))
                    if within_months(e.record.occurred_at, at, threshold.months)]
        if len(contacts) < threshold.count:
            continue
        if any(e.record.details.get("outcome") in policy.alerts.repeat_contacts_excluded_outcomes for e in contacts):
            continue
        c.add(PlannedAlert(
            Occurrence(REPEAT_CONTACTS, pid, ev.record.key), REPEAT_CONTACTS, pid, recipient, None,
            _evidence(ev.subject, _by_order(contacts)), None,
            why=f"{len(contacts)} contacts within {threshold.months} months, none a referral",
            cite=_cite_on_subject(ev, pid)))


def _offender_team(span: LinkedVersion) -> str | None:
    manager = span.record.details.get("offender_manager")
    team = manager.get("team") if isinstance(manager, dict) else None
    return team.strip() or None if isinstance(team, str) else None


def _supervised_adult(c: _Collector) -> None:
    ev, policy = c.ev, c.ev.policy
    kind = policy.alerts.supervision_kind
    recipient = policy.alerts.recipients[SUPERVISED_ADULT_WITH_CHILDREN]
    barred = policy.confidentiality.is_barred(recipient)
    pairs: list[tuple[str, str]] = []  # (supervised person, child)
    # Cheap filters first: which named people ever shared a household key with someone, and which of them all
    # were ever supervised (asked of these people only: the read grows with the household, not the county).
    named = list(ev.named)
    keys = ev.provider.household_keys_of(named, ev.cursor)
    neighbours = set(ev.provider.persons_at_keys({k for p in named for k in keys.get(p, ())}, ev.cursor))
    asked = neighbours | set(named)
    ever_supervised = set(ev.provider.persons_with_kind((kind,), asked, ev.cursor))
    if not ever_supervised:
        return

    def was_supervised(people: list[str]) -> list[str]:
        unknown = [p for p in people if p not in asked]
        if unknown:
            asked.update(unknown)
            ever_supervised.update(ev.provider.persons_with_kind((kind,), unknown, ev.cursor))
        return [p for p in people if p in ever_supervised]

    for pid in named:
        if pid in ever_supervised and ev.history(pid).open_spans(kind):
            latest = ev.latest_known_address(pid)
            if latest is not None:
                pairs += [(pid, x) for x in ev.living_at(latest.normalised, exclude=[pid]) if ev.is_child(x)]
        if not set(ev.provider.persons_at_keys(keys.get(pid, ()), ev.cursor)) & ever_supervised:
            continue
        if ev.is_child(pid):
            latest = ev.latest_known_address(pid)
            if latest is not None:
                pairs += [(s, pid) for s in was_supervised(list(ev.living_at(latest.normalised, exclude=[pid])))
                          if ev.history(s).open_spans(kind)]
    for supervised, child in dict.fromkeys(pairs):
        home = ev.latest_known_address(supervised)
        child_home = ev.latest_known_address(child)
        assert home is not None and child_home is not None
        confidential = ev.is_confidential(home) or ev.is_confidential(child_home)
        for span in ev.history(supervised).open_spans(kind):
            agency, team, note = recipient, _offender_team(span) if recipient == "probation" else None, None
            if confidential and barred:
                agency, team, note = policy.alerts.confidential_redirect_to, None, policy.alerts.confidential_note
            c.add(PlannedAlert(
                Occurrence(SUPERVISED_ADULT_WITH_CHILDREN, None, span.key, home.normalised),
                SUPERVISED_ADULT_WITH_CHILDREN, supervised, agency, team,
                _evidence(ev.subject, [span, home.version, child_home.version]), note, home,
                why=f"supervised person lives with child {child}",
                cite=_cite_on_subject(ev, supervised) or home.cite))


def _unborn_child(c: _Collector) -> None:
    ev, policy = c.ev, c.ev.policy
    if ev.record.kind != "maternity_booking" or not ev.subject.first_version:
        return
    recipient = policy.alerts.recipients[UNBORN_CHILD_DA]
    at = ev.record.occurred_at
    for pid in ev.in_role("subject"):
        incidents = [e for e in ev.history(pid).records("da_incident", ("victim",))
                     if within_months(e.record.occurred_at, at, policy.alerts.unborn_child_da_months)]
        if incidents:
            c.add(PlannedAlert(
                Occurrence(UNBORN_CHILD_DA, None, ev.record.key), UNBORN_CHILD_DA, pid, recipient, None,
                _evidence(ev.subject, _by_order(incidents)), None,
                why=f"victim in {len(incidents)} incident(s) within the months before the booking",
                cite=_cite_on_subject(ev, pid)))


def evaluate_alerts(ev: Evaluation, incident: IncidentAssessment | None, ledger: AlertLedger) -> list[PlannedAlert]:
    """Every alert the live record version ``ev.subject`` raises that has not been raised before."""
    collector = _Collector(ev, ledger)
    enabled = ev.policy.alerts.enabled
    if incident is not None and enabled(REPEAT_INCIDENTS):
        _repeat_incidents(collector, incident)
    if enabled(PERPETRATOR_NEW_HOUSEHOLD):
        _perpetrator_new_household(collector, incident)
    if enabled(REPEAT_CONTACTS):
        _repeat_contacts(collector)
    if enabled(SUPERVISED_ADULT_WITH_CHILDREN):
        _supervised_adult(collector)
    if enabled(UNBORN_CHILD_DA):
        _unborn_child(collector)
    return collector.out
