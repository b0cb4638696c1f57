"""The incident page: everything the viewer's content level allows, in one read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from openmash.accounts.models import User
from openmash.casework.access import IncidentAccess, addressed_to, is_front_door, may_resolve
from openmash.casework.domain.chronology import Glance, at_a_glance, dash_yes
from openmash.casework.models import Allocation, Challenge, Response, ThresholdDecision
from openmash.casework.queries.common import address_text, age_from, as_dict, full_name, is_withheld, shown_record
from openmash.casework.queries.person import PERPETRATOR_FACING_AGENCIES
from openmash.identity.models import MentionLink
from openmash.intake.models import Mention
from openmash.platform.domain.access_rules import Level, Role
from openmash.protocol.domain.redaction import SPOKEN_TO_NO, SPOKEN_TO_YES
from openmash.protocol.models import IncidentAssessment, IncidentChild, Notification, TriageItem

DASH_QUESTIONS = 27


@dataclass(frozen=True)
class LinkField:
    field: str
    level: str
    agreed: bool


@dataclass(frozen=True)
class LinkExplanation:
    method: str
    probability: float
    matched: str
    fields: tuple[LinkField, ...]

    @property
    def percent(self) -> str:
        return f"{self.probability * 100:.1f}".removesuffix(".0")


@dataclass
class PersonOnIncident:
    ref: str
    role: str
    name: str
    date_of_birth: str | None
    age: int | None
    address: str | None
    address_withheld: bool
    person_id: str | None  # only when the viewer may open their page
    link: LinkExplanation | None
    glance: Glance | None = None
    found_from_history: bool = False


@dataclass(frozen=True)
class Voice:
    ref: str
    name: str
    seen: bool | None
    said: str | None
    demeanour: str | None
    behaviour: str | None
    #: For a perpetrator-facing viewer the words are withheld: only whether the child was spoken to (§3).
    spoken_to: bool | None = None


@dataclass
class IncidentDetail:
    agency: str
    record_id: str
    kind: str
    level: Level
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    address: str | None
    address_withheld: bool
    do_not_disclose: bool
    risk_level: str | None
    level_criteria: tuple[str, ...]
    dash_yes: int | None
    dash_answers: list[tuple[int, str]]
    dash_completed: bool | None
    dash_refused_reason: str | None
    officer_risk: str | None
    officer_rationale: str | None
    stop_abuse_text: str | None
    narrative: str | None
    offences: list[str]
    powers_used: list[str]
    people: list[PersonOnIncident]
    voices: list[Voice]
    notifications: list[Notification] = field(default_factory=list)
    decisions: list[ThresholdDecision] = field(default_factory=list)
    on_queue: bool = False
    allocation: Allocation | None = None
    responses: list[Response] = field(default_factory=list)
    read_only: bool = False
    #: Open challenges (by pk) this viewer may resolve.
    resolvable: set[int] = field(default_factory=set)

    @property
    def decision(self) -> ThresholdDecision | None:
        return self.decisions[0] if self.decisions else None


def _explanation(link: MentionLink | None) -> LinkExplanation | None:
    if link is None:
        return None
    details = link.explanation or {}
    fields = tuple(LinkField(str(f.get("field")), str(f.get("level")), float(f.get("weight", 0)) > 0)
                   for f in details.get("fields") or () if isinstance(f, dict))
    return LinkExplanation(link.method, link.probability, str(details.get("matched") or ""), fields)


def _voice(entry: dict[str, Any], names: dict[str, str]) -> Voice:
    said = entry.get("said")
    spoken = {SPOKEN_TO_YES: True, SPOKEN_TO_NO: False}.get(said) if isinstance(said, str) else None
    ref = str(entry.get("ref"))
    return Voice(ref, names.get(ref, ""), entry.get("seen"), None if spoken is not None else said,
                 entry.get("demeanour"), entry.get("behaviour"), spoken)


def incident_glances(person_ids: list[str], up_to: dt.datetime) -> dict[str, Glance]:
    """Per person: incidents naming them or involving them as a child, up to this moment."""
    when: dict[str, dict[int, dt.datetime]] = defaultdict(dict)
    named = (Mention.objects.filter(link__person__person_id__in=person_ids, active=True, record__kind="da_incident",
                                    record__withdrawn=False, record__current__isnull=False)
             .values_list("link__person__person_id", "record_id", "record__current__occurred_at"))
    for person_id, record_pk, occurred in named:
        when[person_id][record_pk] = occurred
    involved = (IncidentChild.objects.filter(mention__link__person__person_id__in=person_ids,
                                             assessment__record__withdrawn=False)
                .values_list("mention__link__person__person_id", "assessment__record_id", "assessment__occurred_at"))
    for person_id, record_pk, occurred in involved:
        when[person_id].setdefault(record_pk, occurred)
    return {pid: at_a_glance(when[pid].values(), up_to) for pid in person_ids}


def _notifications_visible(access: IncidentAccess, user: User) -> list[Notification]:
    rows = list(Notification.objects.filter(record=access.record).order_by("created_at", "notification_id"))
    viewer = user.as_viewer()
    if Role.AUDITOR in viewer.roles or (is_front_door(user) and access.level >= Level.FULL):
        return rows
    return [n for n in rows if addressed_to(n, user)]


def incident_detail(access: IncidentAccess, user: User) -> IncidentDetail:
    record, level = access.record, access.level
    version = record.current
    assert version is not None
    viewer = user.as_viewer()
    # §3/§4.2: an agency working with the alleged perpetrator reads the incident perpetrator-facing.
    roles = {str(p.get("ref")): p.get("role") for p in version.data.get("people") or () if isinstance(p, dict)}
    perpetrator_facing = viewer.agency in PERPETRATOR_FACING_AGENCIES and any(
        roles.get(ref) == "perpetrator" for ref in access.about_refs)
    shown = shown_record(access.decision, version.data, about_refs=access.about_refs,
                         perpetrator_facing=perpetrator_facing)
    data = shown.data
    details = as_dict(data.get("details"))
    assessment = IncidentAssessment.objects.filter(record=record).order_by("-seq").first()
    child_rows = {c.mention_id: c for c in IncidentChild.objects.filter(assessment=assessment)} if assessment else {}
    mentions = {m.ref: m for m in Mention.objects.filter(record=record, active=True).select_related("link")}
    child_refs = {m.ref for m in mentions.values() if m.pk in child_rows}
    people: list[PersonOnIncident] = []
    for person in data.get("people") or ():
        ref, role = str(person.get("ref")), str(person.get("role"))
        is_child = ref in child_refs or role in {"child_present", "child_in_household"}
        # §3 minimal: only the children; health and full: everyone named (professionals excepted).
        if role == "professional" or (level < Level.HEALTH and not is_child):
            continue
        person_id = access.person_of_ref.get(ref)
        may_open = person_id is not None and person_id in access.people.decisions
        mention = mentions.get(ref)
        people.append(PersonOnIncident(
            ref=ref, role=role, name=full_name(person), date_of_birth=person.get("date_of_birth"),
            age=age_from(person, version.occurred_at),
            address=address_text(person.get("address")) if level >= Level.HEALTH else None,
            address_withheld=is_withheld(person.get("address")),
            person_id=person_id if may_open else None,
            link=_explanation(getattr(mention, "link", None)) if level >= Level.HEALTH and may_open else None))
    if level >= Level.HEALTH:
        glances = incident_glances([p.person_id for p in people if p.person_id], version.occurred_at)
        for p in people:
            p.glance = glances.get(p.person_id) if p.person_id else None
    names = {p.ref: p.name for p in people}
    voices = [_voice(v, names) for v in details.get("children_seen") or () if isinstance(v, dict)] \
        if level >= Level.HEALTH else []
    dash = as_dict(details.get("dash"))
    answers = as_dict(dash.get("answers"))
    full = level >= Level.FULL
    on_queue = TriageItem.objects.filter(record=record, status=TriageItem.Status.QUEUED).exists()
    decisions = list(ThresholdDecision.objects.filter(record=record).order_by("-decided_at", "-pk")
                     .select_related("record", "feedback")
                     .prefetch_related(Prefetch("challenges", Challenge.objects.select_related("revision"))))\
        if is_front_door(user) or Role.AUDITOR in viewer.roles else []
    return IncidentDetail(
        agency=record.agency, record_id=record.record_id, kind=record.kind, level=level,
        occurred_at=version.occurred_at, recorded_at=version.recorded_at,
        address=address_text(data.get("address")) if level >= Level.HEALTH else None,
        address_withheld=is_withheld(data.get("address")), do_not_disclose=shown.do_not_disclose,
        risk_level=assessment.level if assessment and level >= Level.HEALTH else None,
        level_criteria=tuple(assessment.level_criteria) if assessment and level >= Level.HEALTH else (),
        dash_yes=(assessment.dash_yes if assessment else dash_yes(details)) if level >= Level.HEALTH else None,
        dash_answers=[(n, str(answers[str(n)])) for n in range(1, DASH_QUESTIONS + 1) if str(n) in answers]
        if full else [],
        dash_completed=dash.get("completed") if full else None,
        dash_refused_reason=dash.get("refused_reason") if full else None,
        officer_risk=details.get("officer_risk") if level >= Level.HEALTH else None,
        officer_rationale=details.get("officer_rationale") if full else None,
        stop_abuse_text=details.get("stop_abuse_text") if full else None,
        narrative=data.get("narrative") if full else None,
        offences=[str(o) for o in details.get("offences") or ()] if level >= Level.HEALTH else [],
        powers_used=[str(p) for p in details.get("powers_used") or ()] if level >= Level.HEALTH else [],
        people=people, voices=voices,
        notifications=_notifications_visible(access, user),
        decisions=decisions,
        resolvable={c.pk for d in decisions for c in d.challenges.all() if c.is_open and may_resolve(c, user)},
        on_queue=on_queue,
        allocation=Allocation.objects.filter(record=record).select_related("assignee").first(),
        responses=list(Response.objects.filter(notification__record=record).order_by("created_at")
                       .select_related("notification")) if level >= Level.HEALTH else [],
        read_only=access.people.read_only,
    )


def now() -> dt.datetime:
    return timezone.now()
