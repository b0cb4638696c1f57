"""The match review queue: uncertain matches side by side, and the merge history that can be undone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openmash.casework.queries.common import address_text, full_name
from openmash.governance.disclosure import present_person
from openmash.identity.models import LinkEvent, MatchReview, MentionLink, Person
from openmash.platform.domain.access_rules import Decision

PER_PAGE = 25
#: How many of a person's records to show beside the mention under review.
SIDE_LIMIT = 8


@dataclass(frozen=True)
class Side:
    """One person as their records name them."""

    person_id: str
    names: list[str]
    dates_of_birth: list[str]
    sexes: list[str]
    nhs_numbers: list[str]
    addresses: list[str]
    agency_ids: list[str]
    records: list[tuple[str, str, str, str]]  # agency, kind, record_id, occurred date
    total_records: int


@dataclass
class ReviewPage:
    reviews: list[MatchReview]
    number: int
    pages: int
    total: int


def open_reviews(*, page: int, per_page: int = PER_PAGE) -> ReviewPage:
    rows = MatchReview.objects.filter(status=MatchReview.Status.OPEN).order_by("created_at", "pk")
    total = rows.count()
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    return ReviewPage(list(rows.select_related("mention__record", "person", "candidate")[start:start + per_page]),
                      number, pages, total)


def current_id(person: Person) -> str:
    seen: set[int] = set()
    while person.merged_into_id is not None and person.pk not in seen:
        seen.add(person.pk)
        person = Person.objects.get(pk=person.merged_into_id)
    return person.person_id


def _unique(values: list[Any]) -> list[str]:
    return list(dict.fromkeys(str(v) for v in values if v))


def side_of(person_id: str, decision: Decision) -> Side:
    links = list(MentionLink.objects.filter(person__person_id=person_id, mention__active=True)
                 .select_related("mention__record__current").order_by("-mention__record__current__occurred_at"))
    data = [present_person(decision, link.mention.data, source_agency=link.mention.record.agency) for link in links]
    records = []
    for link in links[:SIDE_LIMIT]:
        record = link.mention.record
        occurred = record.current.occurred_at.date().isoformat() if record.current else ""
        records.append((record.agency, record.kind, record.record_id, occurred))
    return Side(
        person_id=person_id, names=_unique([full_name(d) for d in data]),
        dates_of_birth=_unique([d.get("date_of_birth") for d in data]), sexes=_unique([d.get("sex") for d in data]),
        nhs_numbers=_unique([d.get("nhs_number") for d in data]),
        addresses=_unique([address_text(d.get("address")) for d in data])[:5],
        agency_ids=_unique([d.get("agency_person_id") for d in data]), records=records, total_records=len(links))


@dataclass(frozen=True)
class ReviewDetail:
    review: MatchReview
    mention: dict[str, Any]
    mention_record: tuple[str, str, str]
    person_id: str
    candidate_id: str
    person: Side
    candidate: Side
    fields: list[tuple[str, str, bool]]


def review_detail(review: MatchReview, decisions: dict[str, Decision]) -> ReviewDetail:
    person_id, candidate_id = current_id(review.person), current_id(review.candidate)
    record = review.mention.record
    fields = [(str(f.get("field")), str(f.get("level")), float(f.get("weight", 0)) > 0)
              for f in (review.explanation or {}).get("fields") or () if isinstance(f, dict)]
    return ReviewDetail(review, present_person(decisions[person_id], review.mention.data, source_agency=record.agency), (record.agency, record.kind, record.record_id), person_id,
                        candidate_id, side_of(person_id, decisions[person_id]),
                        side_of(candidate_id, decisions[candidate_id]), fields)


def merge_history(limit: int = 30) -> list[LinkEvent]:
    return list(LinkEvent.objects.filter(kind__in=[LinkEvent.Kind.MERGE, LinkEvent.Kind.SPLIT])
                .select_related("keep", "absorbed").order_by("-created_at", "-pk")[:limit])


def review_persons(review: MatchReview) -> list[str]:
    return [current_id(review.person), current_id(review.candidate)]
