"""Processing one record version through the protocol: assess, route, render, diff, alert.

Pure: it reads the past through a :class:`HistoryProvider` and an
:class:`AlertLedger`, and returns what should change. The Django service (and the
in-memory harness used in tests) applies the outcome in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openmash.intake.domain.address import normalise_address, same_building
from openmash.intake.domain.record import Address
from openmash.protocol.domain import amendments
from openmash.protocol.domain.alerts import AlertLedger, PlannedAlert, evaluate_alerts
from openmash.protocol.domain.content import build_content, iso
from openmash.protocol.domain.deadlines import WorkingCalendar, due_by
from openmash.protocol.domain.evaluation import Evaluation
from openmash.protocol.domain.history import HistoryProvider, IncidentFacts, LinkedVersion, known_address_on
from openmash.protocol.domain.ids import notification_id
from openmash.protocol.domain.incident import IncidentAssessment, assess_incident
from openmash.protocol.domain.policy import Policy
from openmash.protocol.domain.redaction import Audience, Report, redact
from openmash.protocol.domain.routing import PlannedNotification, Subject, plan_notifications

CONFIDENTIAL_ADDRESS_DISCLOSED = "CONFIDENTIAL_ADDRESS_DISCLOSED"


@dataclass
class Rendered:
    """A planned notification with its id, redacted content and the audience it was redacted for."""

    notification_id: str
    plan: PlannedNotification
    content: dict[str, Any]
    audience: Audience
    report: Report

    @property
    def signature(self) -> dict[str, Any]:
        """What §2.6 compares: reasons, subjects, priority and permitted content."""
        return {
            "reasons": sorted(self.plan.reasons),
            "subjects": sorted([list(map(str, s.as_key())) for s in self.plan.subjects]),
            "priority": self.plan.priority,
            "content_level": self.plan.content_level,
            "withheld": [list(self.report.signature()[0]), self.report.signature()[1],
                         list(self.report.signature()[2])],
            "barred": self.plan.barred,
            "perpetrator_facing": self.plan.perpetrator_facing,
        }


@dataclass
class Outcome:
    subject: LinkedVersion
    live: bool
    assessment: IncidentAssessment | None = None
    facts: IncidentFacts | None = None
    rendered: dict[str, Rendered] = field(default_factory=dict)
    changes: list[amendments.Change] = field(default_factory=list)
    alerts: list[PlannedAlert] = field(default_factory=list)


def audience_json(audience: Audience) -> dict[str, Any]:
    """The audience kept with a notification, so its content can be redacted again (§4.6)."""
    return {
        "agency": audience.agency, "content_level": audience.content_level, "barred": audience.barred,
        "perpetrator_facing": audience.perpetrator_facing, "clients": sorted(audience.clients),
        "ref_person": dict(audience.ref_person), "protected": sorted(audience.protected),
        "hidden": {k: iso(v) for k, v in audience.hidden.items()},
        "confidential": [address_json(a) for a in audience.confidential],
        "withheld_text": audience.withheld_text, "withheld_reason": audience.withheld_reason,
    }


def audience_from_json(data: Mapping[str, Any]) -> Audience:
    return Audience(
        agency=data["agency"], content_level=data["content_level"], barred=data["barred"],
        perpetrator_facing=data["perpetrator_facing"], clients=frozenset(data.get("clients", ())),
        ref_person=dict(data.get("ref_person", {})), protected=frozenset(data.get("protected", ())),
        hidden={k: dt.datetime.fromisoformat(v) if v else None for k, v in data.get("hidden", {}).items()},
        confidential=tuple(a for x in data.get("confidential", ()) if (a := Address.from_json(x)) is not None),
        withheld_text=data.get("withheld_text", "[address withheld]"),
        withheld_reason=data.get("withheld_reason", "confidential address"),
    )


def address_json(address: Address) -> dict[str, Any]:
    return {"lines": list(address.lines), "town": address.town, "postcode": address.postcode, "uprn": address.uprn,
            "confidential": address.confidential}


def _addresses_in(value: Any) -> list[Mapping[str, Any]]:
    """Every address-like object in ``value``, depth first in document order."""
    found: list[Mapping[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, int, float)) or item is None:
            continue
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, Mapping):
            if ("lines" in item or "postcode" in item or "uprn" in item) and "withheld" not in item:
                found.append(item)
            stack.extend(reversed(list(item.values())))
    return found


def confidential_context(ev: Evaluation, raw_addresses: Iterable[Mapping[str, Any]],
                         extra: Iterable[Address] = (), *,
                         known: dict[Address, tuple[Address, ...]] | None = None) -> tuple[Address, ...]:
    """The confidential addresses that concern some address in this content (same building, §4.1).

    ``known`` keeps what each address was found to concern, for the other notifications of one assessment."""
    found: list[Address] = []
    concerns = {} if known is None else known

    def consider(address: Address) -> None:
        if address.confidential and address not in found:
            found.append(address)
        if address not in concerns:
            norm = normalise_address(address)
            concerns[address] = () if norm.uprn is None and norm.building is None else tuple(
                ev.provider.confidential_in_building(norm))
        for c in concerns[address]:
            if c not in found:
                found.append(c)

    for raw in raw_addresses:
        address = Address.from_json(raw)
        if address is not None:
            consider(address)
    for address in extra:
        consider(address)
    return tuple(found)


def _hidden_since(a: IncidentAssessment) -> dict[str, dt.datetime | None]:
    """§4.4: for each person living at a confidential address, when they were first recorded there."""
    ev = a.evaluation
    out: dict[str, dt.datetime | None] = {}
    for pid, latest in a.at_confidential_address.items():
        times = []
        for entry, mention in ev.history(pid).mentions():
            known = known_address_on(entry, mention)
            if known is not None and same_building(known.normalised, latest.normalised):
                times.append(entry.record.recorded_at)
        out[pid] = min(times) if times else None
    return out


def render(a: IncidentAssessment, plan: PlannedNotification, policy: Policy) -> Rendered:
    ev = a.evaluation
    record = a.subject.record
    content = build_content(a, plan, policy)
    if "latest_addresses" not in a.shared:
        a.shared["latest_addresses"] = [k.address for pid in a.involved if (k := ev.latest_known_address(pid))]
        a.shared["hidden_since"] = _hidden_since(a)
        a.shared["subject_addresses"] = _addresses_in(a.subject.raw)
        a.shared["concerns"] = {}
    latest: list[Address] = a.shared["latest_addresses"]
    audience = Audience(
        agency=plan.agency,
        content_level=plan.content_level,
        barred=plan.barred,
        perpetrator_facing=plan.perpetrator_facing,
        withheld_text=policy.confidentiality.withheld_text,
        withheld_reason=policy.confidentiality.withheld_reason,
        clients=plan.clients,
        ref_person=dict(a.subject.person_ids),
        protected=frozenset(a.victims + a.child_ids),
        hidden=a.shared["hidden_since"] if plan.barred else {},
        confidential=confidential_context(ev, _addresses_in(content) + a.shared["subject_addresses"], latest,
                                          known=a.shared["concerns"]),
    )
    redacted, report = redact(content, audience)
    nid = notification_id(record.agency, record.record_id, plan.agency, plan.team)
    return Rendered(nid, plan, redacted, audience, report)


def process_version(
    subject: LinkedVersion,
    provider: HistoryProvider,
    ledger: AlertLedger,
    existing: Sequence[amendments.StoredNotification],
    policy: Policy,
    calendar: WorkingCalendar,
    *,
    live: bool,
) -> Outcome:
    """What processing this version changes. ``existing``: the stored notifications of its record."""
    outcome = Outcome(subject, live)
    record = subject.record
    if record.withdrawn:
        outcome.changes = [amendments.Change(amendments.WITHDRAW, n.notification_id, n.due_by)
                           for n in existing if not n.withdrawn]
        return outcome
    ev = Evaluation(subject, provider, policy)
    if record.kind == "da_incident":
        assessment = assess_incident(ev)
        outcome.assessment = assessment
        marac_standing = any(not n.withdrawn and "MARAC_REFERRAL" in n.signature.get("reasons", ()) for n in existing)
        if live:
            for plan in plan_notifications(assessment, policy, calendar):
                rendered = render(assessment, plan, policy)
                outcome.rendered[rendered.notification_id] = rendered
            planned = [amendments.Planned(r.notification_id, r.plan.due_by, r.signature)
                       for r in outcome.rendered.values()]
            outcome.changes = amendments.diff(existing, planned)
            marac_standing = any("MARAC_REFERRAL" in r.plan.reasons for r in outcome.rendered.values())
        outcome.facts = assessment.facts(marac_notified=marac_standing)
    if live:
        outcome.alerts = evaluate_alerts(ev, outcome.assessment, ledger)
    return outcome


def subjects_json(subjects: Sequence[Subject]) -> list[dict[str, Any]]:
    return [{"agency": s.agency, "record_id": s.record_id, "person_ref": s.person_ref, "person_id": s.person_id,
             "resolve_from": list(s.resolve_from)} for s in subjects]


def disclosure_due(recorded_at: dt.datetime, policy: Policy, calendar: WorkingCalendar) -> dt.datetime:
    return due_by("immediate", recorded_at, policy.deadlines, calendar)
