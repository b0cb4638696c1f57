"""A person's page: who they are, the pattern at a glance, their multi-agency chronology, who lived
with them over time, open plans and involvements, alerts, and (for a child) their own words.

Every record is shown at the level the viewer's decision gives for the agency that made it, and
through the protocol's redaction (confidential addresses, perpetrator-facing rules).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Func, OuterRef, QuerySet, Subquery

from openmash.casework.access import PeopleAccess
from openmash.casework.domain.chronology import (
    SUMMARY_FIELDS,
    Glance,
    Significance,
    Stay,
    at_a_glance,
    household_over_time,
    significance,
    summary_facts,
    voices_in,
)
from openmash.casework.models import Response
from openmash.casework.queries.common import (
    address_text,
    age_from,
    as_dict,
    full_name,
    parse_date,
    shown_record,
    usual,
)
from openmash.governance.disclosure import (
    Context,
    confidential_addresses_near,
    confidential_addresses_of,
    hidden_people,
    present_person,
)
from openmash.identity.models import MentionLink, Person, Residence
from openmash.intake.domain.localtime import local_date
from openmash.intake.models import Mention
from openmash.platform.access import Reads
from openmash.platform.compiled import Compiled, Ints
from openmash.platform.domain.access_rules import Decision, Level
from openmash.protocol.domain.windows import is_open_at
from openmash.protocol.models import Alert, IncidentAssessment, IncidentChild

SPAN_KINDS = frozenset({
    "cp_plan", "cin_plan", "probation_supervision", "yos_order", "drug_alcohol_episode", "mental_health_episode",
    "school_enrolment", "gp_registration", "tenancy",
})
#: Agencies whose work is with the adult who harms: they see a perpetrator's page perpetrator-facing (§3, §4.2).
PERPETRATOR_FACING_AGENCIES = frozenset({"probation", "yos", "drug_alcohol", "adult_mental_health"})
RESPONSE_KIND = "response"


@dataclass(frozen=True)
class ChronologyFilters:
    agency: str = ""
    kind: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    significant: bool = False


@dataclass
class Entry:
    occurred_at: dt.datetime
    ended_at: dt.datetime | None
    agency: str
    kind: str
    record_id: str
    roles: tuple[str, ...]
    facts: list[tuple[str, str]]
    significance: Significance
    level: str | None = None
    text: str | None = None
    author: str = ""
    found_from_history: bool = False
    shown_level: Level = Level.MINIMAL

    @property
    def is_incident(self) -> bool:
        return self.kind == "da_incident"


@dataclass(frozen=True)
class VoiceEntry:
    occurred_at: dt.datetime
    agency: str
    record_id: str
    seen: bool | None
    said: str | None
    demeanour: str | None
    behaviour: str | None


@dataclass(frozen=True)
class HouseholdMember:
    name: str
    person_id: str | None
    start: dt.date
    end: dt.date | None
    age_now: int | None


@dataclass(frozen=True)
class HomeView:
    address: str | None
    withheld: bool
    start: dt.date
    end: dt.date | None
    members: tuple[HouseholdMember, ...]
    sources: tuple[tuple[str, str], ...]


@dataclass
class PersonPage:
    person_id: str
    name: str
    other_names: list[str]
    date_of_birth: str | None
    age: int | None
    is_child: bool
    sex: str | None
    language: str | None
    interpreter_needed: bool
    decision: Decision
    #: Counted up to the latest incident (windows follow the records, never the wall clock).
    glance: Glance
    glance_up_to: dt.datetime | None
    entries: list[Entry]
    total_entries: int
    agencies: list[str]
    kinds: list[str]
    open_spans: list[Entry]
    alerts: list[Alert]
    voices: list[VoiceEntry]
    homes: list[HomeView]
    roles: dict[str, int] = field(default_factory=dict)
    do_not_disclose: bool = False
    withheld: bool = False


@dataclass(frozen=True, slots=True)
class _Named:
    """One person-in-record of this person, with the record it is in (a plain read, no model instances)."""

    pk: int
    ref: str
    role: str
    person: dict[str, Any]
    record_pk: int
    agency: str
    record_id: str
    kind: str
    occurred_at: dt.datetime
    ended_at: dt.datetime | None
    data: dict[str, Any]
    level: str | None
    #: Where the record says the person lived: (household key, postcode, confidential, since, until), or None.
    home: tuple[str, str, bool, dt.date, dt.date | None] | None


def _mentions_of(person_id: str) -> QuerySet[Mention]:
    """The person's current people-in-record (the page's own reads use it as a subquery: no id lists)."""
    return Mention.objects.filter(link__person__person_id=person_id, active=True, record__withdrawn=False,
                                  record__current__isnull=False)


def _mentions_query(person_id: str) -> QuerySet[Any, Any]:
    # Of each record, only the parts a timeline row shows are read (``_for_timeline``): not its narrative or
    # people, which are most of the document (and, sealed at rest, would each be decrypted for nothing).
    # The record's latest assessed level and the person's residence on it come in the same statement.
    level = IncidentAssessment.objects.filter(record_id=OuterRef("record_id")).order_by("-seq").values("level")[:1]
    return (_mentions_of(person_id)
            .annotate(latest_level=Subquery(level))
            .order_by("record__current__occurred_at", "pk")
            .values_list("pk", "ref", "role", "data", "record_id", "record__agency", "record__record_id",
                         "record__kind", "record__current__occurred_at", "record__current__ended_at",
                         "record__current__data__source", "record__current__data__details", "latest_level",
                         "residence__household_key", "residence__postcode", "residence__confidential",
                         "residence__since", "residence__until"))


_MENTIONS = Compiled(_mentions_query, str)
#: Incidents where the person was a child involved without being named (found from their household):
#: record pk, then the record as a timeline row shows it.
_FROM_HISTORY = Compiled(lambda person_id: (
    IncidentChild.objects.filter(mention__link__person__person_id=person_id, found_from_history=True,
                                 assessment__record__withdrawn=False, assessment__record__current__isnull=False)
    .exclude(assessment__record_id__in=_mentions_of(person_id).values("record_id"))
    .order_by("assessment__record_id")
    .values_list("assessment__record_id", "assessment__record__agency", "assessment__record__record_id",
                 "assessment__record__kind", "assessment__record__current__occurred_at",
                 "assessment__record__current__ended_at", "assessment__record__current__data")), str)
#: Responses written about the person's people-in-record, oldest first.
_RESPONSES = Compiled(lambda person_id: (
    Response.objects.filter(about__in=_mentions_of(person_id).values("pk")).distinct().order_by("created_at")
    .values_list("pk", "created_at", "author_agency", "notification__source_record_id", "text", "author_team",
                 "author")), str)


def _mentions(person_id: str) -> list[_Named]:
    out = []
    for row in _MENTIONS.rows(person_id):
        data = {k: v for k, v in (("source", row[10]), ("record_id", row[6]), ("kind", row[7]), ("details", row[11]))
                if v is not None}
        out.append(_Named(*row[:10], data, row[12], row[13:18] if row[13] is not None else None))  # type: ignore[call-arg]
    return out


#: The person's own details the page header uses; the disclosure filter decides which of them this viewer sees.
_IDENTITY_KEYS = ("given_names", "family_name", "other_names", "date_of_birth", "estimated_age", "sex",
                  "language", "interpreter_needed")


def _identity(decision: Decision, mentions: list[_Named]) -> list[dict[str, Any]]:
    """Each mention's identity details as this viewer may see them (the same details repeat: filter each once)."""
    seen: dict[str, dict[str, Any]] = {}
    out = []
    for m in mentions:
        own = {k: m.person[k] for k in _IDENTITY_KEYS if k in m.person}
        key = m.agency + repr(own)  # equal text, equal details (an unequal text only costs a second filtering)
        if key not in seen:
            seen[key] = present_person(decision, own, source_agency=m.agency)
        out.append(seen[key])
    return out


def _levels(record_pks: Iterable[int]) -> dict[int, str]:
    latest: dict[int, tuple[int, str]] = {}
    for record_pk, seq, level in IncidentAssessment.objects.filter(record_id__in=list(record_pks)).values_list(
            "record_id", "seq", "level"):
        if record_pk not in latest or seq > latest[record_pk][0]:
            latest[record_pk] = (seq, level)
    return {k: v[1] for k, v in latest.items()}


def person_page(person_id: str, decision: Decision, reads: Reads, filters: ChronologyFilters, *,
                now: dt.datetime) -> PersonPage:
    """The page of a person already decided (``decision``); the other people it shows (who lived with them)
    are decided and audited through the page's ``reads``."""
    viewer = reads.viewer
    mentions = _mentions(person_id)
    by_record: dict[int, list[_Named]] = defaultdict(list)
    for m in mentions:
        by_record[m.record_pk].append(m)
    from_history = {row[0]: _Timeline(*row[1:]) for row in _FROM_HISTORY.rows(person_id)}
    levels = {pk: ms[0].level for pk, ms in by_record.items() if ms[0].level}
    levels.update(_levels(from_history) if from_history else {})
    is_perpetrator = any(m.role == "perpetrator" for m in mentions)
    perpetrator_facing = is_perpetrator and viewer.agency in PERPETRATOR_FACING_AGENCIES

    entries: list[Entry] = []
    voices: list[VoiceEntry] = []
    any_withheld = do_not_disclose = False
    records: list[tuple[int, _Timeline, list[_Named]]] = [
        (pk, _Timeline(ms[0].agency, ms[0].record_id, ms[0].kind, ms[0].occurred_at, ms[0].ended_at, ms[0].data), ms)
        for pk, ms in by_record.items()]
    records += [(pk, timeline, []) for pk, timeline in from_history.items()]
    contexts = _confidential_contexts(decision, records)
    for pk, record, ms in records:
        version = record
        level = decision.level_for(record.agency)
        if level == Level.NONE:
            continue
        shown = shown_record(decision, _for_timeline(version.data), about_refs=[m.ref for m in ms],
                             perpetrator_facing=perpetrator_facing, context=contexts.get(pk))
        any_withheld |= shown.withheld
        do_not_disclose |= shown.do_not_disclose
        details = as_dict(shown.data.get("details"))
        roles = tuple(sorted({m.role for m in ms}))
        entries.append(Entry(
            occurred_at=version.occurred_at, ended_at=version.ended_at, agency=record.agency, kind=record.kind,
            record_id=record.record_id, roles=roles,
            facts=summary_facts(record.kind, details) if level >= Level.HEALTH else [],
            significance=significance(record.kind, details, level=levels.get(pk), roles=roles),
            level=levels.get(pk) if level >= Level.HEALTH else None, found_from_history=not ms, shown_level=level))
        if level >= Level.HEALTH and ms:
            for v in voices_in(shown.data, [m.ref for m in ms], occurred_at=version.occurred_at,
                               agency=record.agency, record_id=record.record_id):
                voices.append(VoiceEntry(v.occurred_at, v.agency, v.record_id, v.seen, v.said, v.demeanour,
                                         v.behaviour))
    for _pk, created_at, author_agency, source_record_id, text, author_team, author in _RESPONSES.rows(person_id):
        if decision.level_for(author_agency) < Level.HEALTH:
            continue
        entries.append(Entry(
            occurred_at=created_at, ended_at=None, agency=author_agency, kind=RESPONSE_KIND,
            record_id=source_record_id, roles=(), facts=[], significance=Significance.MEDIUM,
            text=text, author=author_team or author, shown_level=Level.HEALTH))
    entries.sort(key=lambda e: (e.occurred_at, e.record_id), reverse=True)

    incidents = [e.occurred_at for e in entries if e.is_incident]
    latest = _identity(decision, mentions)  # oldest record first
    identity = latest[-1] if latest else {}
    dob = usual(p.get("date_of_birth") for p in latest)
    age = age_from({"date_of_birth": dob, "estimated_age": identity.get("estimated_age")}, now) if latest else None
    is_child = (age is not None and age < 18) or (age is None and any(
        m.role in {"child_present", "child_in_household"} for m in mentions))
    names = {full_name(p) for p in latest} | {n for p in latest for n in p.get("other_names") or ()}
    names.discard(full_name(identity))
    open_spans = [e for e in entries if e.kind in SPAN_KINDS and is_open_at(e.occurred_at, e.ended_at, now)]
    return PersonPage(
        person_id=person_id, name=full_name(identity), other_names=sorted(n for n in names if n),
        date_of_birth=dob, age=age, is_child=is_child, sex=usual(p.get("sex") for p in latest),
        language=usual(p.get("language") for p in latest),
        interpreter_needed=any(p.get("interpreter_needed") for p in latest),
        decision=decision, glance=at_a_glance(incidents, max(incidents, default=now)),
        glance_up_to=max(incidents, default=None),
        entries=_filter(entries, filters), total_entries=len(entries),
        agencies=sorted({e.agency for e in entries}), kinds=sorted({e.kind for e in entries}),
        open_spans=open_spans, alerts=_alerts(person_id, decision, viewer.agency),
        voices=sorted(voices, key=lambda v: v.occurred_at, reverse=True) if not perpetrator_facing else [],
        homes=_homes(person_id, mentions, decision, reads, local_date(now)) if decision.level_for(None) >= Level.HEALTH else [],
        roles=_role_counts(mentions), do_not_disclose=do_not_disclose, withheld=any_withheld)


def _confidential_contexts(decision: Decision, records: list[tuple[int, _Timeline, list[_Named]]]
                           ) -> dict[int, Context]:
    """For a viewer barred from confidential addresses (§4): what is confidential around each record it will
    see, read for the whole chronology at once — who each record names, their confidential addresses, who is
    hidden — instead of the disclosure filter's own look-ups for every record. The addresses and hidden people
    are those of everyone the chronology names, so a record withholds at least what its own people need."""
    barred = {pk: record for pk, record, _ms in records
              if decision.level_for(record.agency) > Level.NONE and decision.withholds_confidential_from(record.agency)}
    if not barred:
        return {}
    named: dict[int, dict[str, str]] = defaultdict(dict)
    for record_pk, ref, person_id in MentionLink.objects.filter(mention__record_id__in=list(barred)).values_list(
            "mention__record_id", "mention__ref", "person__person_id"):
        named[record_pk][ref] = person_id
    people = sorted({person_id for refs in named.values() for person_id in refs.values()})
    addresses, hidden = confidential_addresses_of(people), hidden_people(people)
    out = {}
    for pk, record in barred.items():
        near = confidential_addresses_near(_for_timeline(record.data))
        out[pk] = Context(near + tuple(a for a in addresses if a not in near), hidden, named.get(pk, {}))
    return out


def _for_timeline(data: dict[str, Any]) -> dict[str, Any]:
    """Only what a timeline row shows (the record's envelope and the details it summarises): the content
    filter then copies far less than the whole record."""
    keep: dict[str, Any] = {k: data[k] for k in ("schema", "source", "record_id", "version", "kind", "occurred_at", "recorded_at",
                                 "ended_at") if k in data}
    details = as_dict(data.get("details"))
    wanted = {path[0] for _code, path in SUMMARY_FIELDS.get(str(data.get("kind")), ())} | {"children_seen"}
    keep["details"] = {k: v for k, v in details.items() if k in wanted}
    return keep


def _filter(entries: list[Entry], f: ChronologyFilters) -> list[Entry]:
    out = []
    for e in entries:
        day = local_date(e.occurred_at)
        if (f.agency and e.agency != f.agency) or (f.kind and e.kind != f.kind):
            continue
        if (f.start and day < f.start) or (f.end and day > f.end):
            continue
        if f.significant and e.significance < Significance.HIGH:
            continue
        out.append(e)
    return out


@dataclass(frozen=True, slots=True)
class _Timeline:
    agency: str
    record_id: str
    kind: str
    occurred_at: dt.datetime
    ended_at: dt.datetime | None
    data: dict[str, Any]


def _role_counts(mentions: list[_Named]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for m in mentions:
        counts[m.role] += 1
    return dict(counts)


_ABSORBED = Compiled(lambda person_id: Person.objects.filter(merged_into__person_id=person_id).values_list(
    "person_id"), str)


def _alerts(person_id: str, decision: Decision, agency: str) -> list[Alert]:
    # Two plain statements: a semi-join on the person table would scan the alerts.
    ids = [person_id] + [absorbed for (absorbed,) in _ABSORBED.rows(person_id)]
    alerts = Alert.objects.filter(person_id_then__in=ids).order_by("-created_at")
    if decision.level_for(None) < Level.FULL:
        alerts = alerts.filter(recipient_agency=agency)
    return list(alerts[:50])


_LIVE = {"mention__active": True, "mention__record__withdrawn": False}


def _household_others(keys: list[str], person_id: str) -> QuerySet[Any, Any]:
    """The people with a stay at one of these household addresses, other than the person (None: not linked).

    On PostgreSQL the stays' mentions are looked up by key (``mention = ANY(ARRAY(<the stays' mentions>))``): as a
    join, the planner hashes every mention to find a household's few hundred."""
    if connection.vendor != "postgresql":
        return (Residence.objects.filter(household_key__in=keys, **_LIVE)
                .exclude(mention__link__person__person_id=person_id)
                .values_list("mention__link__person__person_id").distinct())
    stays = Func(Subquery(Residence.objects.filter(household_key__in=keys).values("mention_id")),
                 template="(ARRAY%(expressions)s)")
    at_keys = Func(F("mention_id"), stays, arg_joiner=" = ANY ", template="%(expressions)s", output_field=BooleanField())
    return (MentionLink.objects.filter(at_keys, **_LIVE)
            .exclude(person__person_id=person_id).values_list("person__person_id").distinct())


_HOUSEHOLD_OTHERS = Compiled(_household_others, list, str)
#: Where these people lived, oldest first, with the record that says so.
_STAYS = Compiled(lambda person_ids: (
    Residence.objects.filter(mention__link__person__person_id__in=person_ids, **_LIVE)
    .values_list("mention__link__person__person_id", "household_key", "postcode", "confidential", "since", "until",
                 "mention__record__agency", "mention__record__record_id", "mention_id")
    .order_by("since")), list)
_MENTION_DATA = Compiled(lambda pks: Mention.objects.filter(pk__in=pks).values_list("pk", "data"), Ints)


def _homes(person_id: str, mentions: list[_Named], decision: Decision, reads: Reads,
           today: dt.date) -> list[HomeView]:
    """Who lived with the person, address by address, from the records that say so (their own residences
    came with their mentions)."""
    own = [m for m in mentions if m.home is not None]
    if not own:
        return []
    # Two statements, not one with a subquery: PostgreSQL plans that one as a loop over every stay.
    other_ids = sorted({o for (o,) in _HOUSEHOLD_OTHERS.rows(sorted({m.home[0] for m in own if m.home is not None}),
                                                           person_id) if o})
    stays: dict[str, list[Stay]] = defaultdict(list)
    latest_mention: dict[str, int] = {}
    for pid, key, postcode, confidential, since, until, agency, record_id, mention_pk in _STAYS.rows(other_ids):
        stays[pid].append(Stay(key, postcode, confidential, since, until, (agency, record_id)))
        latest_mention[pid] = mention_pk
    first_of_key: dict[str, _Named] = {}
    confidential_keys = set()
    mine = []
    for named in own:
        key, postcode, confidential, since, until = named.home  # type: ignore[misc]
        first_of_key.setdefault(key, named)
        if confidential:
            confidential_keys.add(key)
        mine.append(Stay(key, postcode, confidential, since, until, (named.agency, named.record_id)))
    # One record's words per address (the person's own, already read), and one record's name per member.
    wanted = sorted(set(latest_mention.values()))
    data_of = dict(_MENTION_DATA.rows(wanted)) if wanted else {}
    labels = {key: address_text(present_person(decision, first.person, source_agency=first.agency).get("address"))
              or _key_label(key) for key, first in first_of_key.items()}
    homes = household_over_time(mine, stays)
    # Showing who someone is is a read of their data: each member goes through the access layer.
    member_ids = {m.person_id for h in homes for m in h.members}
    allowed = PeopleAccess(reads.people(sorted(member_ids), purpose="household composition"))
    out = []
    for home in reversed(homes):
        withheld = home.interval.household_key in confidential_keys and decision.withholds_confidential_from(None)
        members = []
        for m in home.members:
            member = allowed.decisions.get(m.person_id)
            shown = present_person(member, data_of.get(latest_mention.get(m.person_id, 0)) or {}) if member else {}
            born = parse_date(shown.get("date_of_birth"))
            members.append(HouseholdMember(full_name(shown), m.person_id if member else None, m.start, m.end,
                                           _years(born, today) if born else None))
        out.append(HomeView(None if withheld else labels.get(home.interval.household_key), withheld,
                            home.interval.start, home.interval.end, tuple(members), home.interval.sources))
    return out


def _key_label(key: str) -> str | None:
    """A household key as words, when no record gave the address lines ("B:14|MILL LANE||P:AB1 2CD")."""
    if not key.startswith("B:"):
        return None
    number, street, flat, place = (key[2:].split("|") + ["", "", "", ""])[:4]
    building = f"{number} {street.title()}"
    return ", ".join(p for p in (f"Flat {flat}" if flat else "", building, place[2:]) if p)


def _years(born: dt.date, today: dt.date) -> int:
    from openmash.protocol.domain.ages import age_on

    return age_on(born, today)

