"""Person search: only people the user may see; the rest is "known to other agencies — request access".

Candidates come from identity's blocking index, are checked against the query with identity's name
rules (``domain.search_rules``), and each one is put through the access layer. Every search is audited
in the same transaction: which criteria were used (never their values), the ids shown and how many were
withheld.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from openmash.governance.disclosure import present_person
from openmash.governance.domain.search_rules import SearchQuery, matches, problems, search_keys
from openmash.platform import access
from openmash.platform.audit import record_event
from openmash.platform.domain.access_rules import CASEWORK_ROLES, Role, Viewer

#: Candidates looked at per search (a common name in a large county), and results shown.
CANDIDATE_LIMIT = 500
SHOWN_LIMIT = 25


@dataclass(frozen=True)
class Hit:
    person_id: str
    given_names: str
    family_name: str
    date_of_birth: str | None
    basis: tuple[str, ...]
    score: int


@dataclass
class SearchOutcome:
    problems: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    #: People who answer the query but whom the user may not see: never shown, only counted and offered
    #: for a break-glass request by an opaque reference the view keeps server-side.
    withheld: list[str] = field(default_factory=list)
    #: A withheld person matched on a strong identifier (NHS number, or full name with date of birth).
    withheld_strong: list[str] = field(default_factory=list)


def may_search(viewer: Viewer) -> bool:
    return viewer.active and bool((CASEWORK_ROLES | {Role.AUDITOR}) & viewer.roles)


def _candidates(query: SearchQuery) -> list[str]:
    from openmash.identity.blocking_index import stored_keys
    from openmash.identity.models import BlockingKey, Residence

    keys = search_keys(query)
    ids: Iterable[str | None]
    if keys:
        ids = (BlockingKey.objects.filter(key__in=stored_keys(sorted(keys))).values_list("person__person_id", flat=True)
               .distinct()[:CANDIDATE_LIMIT])
    else:  # postcode and date of birth only: nobody's name to block on
        ids = (Residence.objects.filter(postcode=query.postcode_normalised)
               .values_list("mention__link__person__person_id", flat=True).distinct()[:CANDIDATE_LIMIT])
    current: dict[str, None] = {}
    for person_id in ids:
        if person_id:
            resolved = access.resolve_person(person_id)
            if resolved:
                current[resolved] = None
    return list(current)


def _features(person_id: str) -> list[dict[str, Any]]:
    from openmash.governance.relationships import aliases
    from openmash.identity.models import MentionLink

    rows = MentionLink.objects.filter(person__person_id__in=sorted(aliases(person_id)), mention__active=True,
                                      mention__record__withdrawn=False)
    return [f for f in rows.values_list("features", flat=True) if isinstance(f, dict)]


def _latest_mention(person_id: str) -> tuple[dict[str, Any], str] | None:
    from openmash.governance.relationships import aliases
    from openmash.intake.models import Mention

    row = (Mention.objects.filter(link__person__person_id__in=sorted(aliases(person_id)), active=True,
                                  record__withdrawn=False)
           .order_by("-version__occurred_at", "-pk").values_list("data", "record__agency").first())
    return (row[0], row[1]) if row else None


def search_people(user: Any, query: SearchQuery, *, purpose: str = "search", source_ip: str = "") -> SearchOutcome:
    viewer = access.viewer_for(user)
    if not may_search(viewer):
        raise PermissionDenied
    outcome = SearchOutcome(problems=problems(query))
    with transaction.atomic():
        if not outcome.problems:
            scored = [(s, pid) for pid in _candidates(query) if (s := matches(query, _features(pid))) > 0]
            scored.sort(key=lambda item: (-item[0], item[1]))
            strong = 4 if query.nhs else 3
            for score, person_id in scored:
                decision = access.decide(viewer, person_id)
                if not decision.allowed:
                    outcome.withheld.append(person_id)
                    if score >= strong and (query.nhs or (query.given and query.surnames and query.date_of_birth)):
                        outcome.withheld_strong.append(person_id)
                    continue
                if len(outcome.hits) >= SHOWN_LIMIT:
                    continue
                latest = _latest_mention(person_id)
                data, agency = latest if latest else ({}, None)
                shown = present_person(decision, data, source_agency=agency)
                outcome.hits.append(Hit(
                    person_id, str(shown.get("given_names") or ""), str(shown.get("family_name") or ""),
                    shown.get("date_of_birth"), decision.reasons, score,
                ))
        record_event(
            actor=access.actor_for(user, source_ip), action="person.search", object_type="search",
            purpose=purpose, details={
                "fields": query.fields_used(), "problems": outcome.problems,
                "shown": [h.person_id for h in outcome.hits], "withheld": len(outcome.withheld),
            },
        )
    return outcome
