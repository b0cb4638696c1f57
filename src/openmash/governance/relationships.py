"""Legitimate relationships: the facts that connect a viewer's team to a person (registered with the access layer).

Each provider answers for one viewer and one person (the id they stand under now) and yields
:class:`Relationship` facts; the pure rules in ``platform.domain.access_rules`` turn them into a decision.

* **notification**: a notification to the viewer's agency and team (the team's code, or a null/blank
  team for the agency's default team; a team manager also holds the teams they manage) naming the
  person among its subjects, at that notification's content level;
* **alert**: an alert to the viewer's team about the person, at ``minimal``;
* **own_records**: a current, non-withdrawn record of the viewer's agency naming the person gives
  ``full`` for that agency's own records only (a school or GP practice team: its own establishment's);
* **triage** / **marac**: the front-door triage role sees in full the people in incidents routed to
  ``csc``; a MARAC coordinator those routed to ``marac`` (and named in MARAC referrals);
* **break_glass**: a live break-glass grant of the viewer (``governance.breakglass``).

A notification's subjects carry the person id of the day; merges since are followed both ways
(``aliases``): the person asked for and every id merged into them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Q

from openmash.platform import access
from openmash.platform.domain.access_rules import Level, Relationship, Role, Viewer, level_of

UNLINKED_PREFIX = "U"


def resolve(person_id: str) -> str | None:
    """The id the person stands under now; None when nobody has this id (a foreign id and a made-up one alike)."""
    from openmash.identity.models import Person
    from openmash.identity.queries import current_person
    from openmash.intake.models import Mention

    if Person.objects.filter(person_id=person_id).exists():
        return current_person(person_id)
    pk = _unlinked_pk(person_id)
    if pk is not None and Mention.objects.filter(pk=pk, link__isnull=True).exclude(role="professional").exists():
        return person_id
    return None


def _unlinked_pk(person_id: str) -> int | None:
    """A person-in-record the linker has not seen stands as ``U<mention pk>`` (the links export's convention)."""
    if person_id.startswith(UNLINKED_PREFIX) and person_id[1:].isdigit():
        return int(person_id[1:])
    return None


def aliases(person_id: str) -> set[str]:
    """The person's id and every id merged into it, however deep."""
    from openmash.identity.models import Person

    found = {person_id}
    frontier = [person_id]
    while frontier:
        absorbed = set(Person.objects.filter(merged_into__person_id__in=frontier).values_list("person_id", flat=True))
        frontier = list(absorbed - found)
        found |= absorbed
    return found


def _mentions_of(ids: set[str]) -> Q:
    """Mentions (as a filter on Mention) that are this person."""
    query = Q(link__person__person_id__in=ids)
    pks = [pk for pk in (_unlinked_pk(i) for i in ids) if pk is not None]
    if pks:
        query |= Q(pk__in=pks, link__isnull=True)
    return query


def subjects_naming(ids: Iterable[str], field: str = "subjects") -> Q:
    """Notifications whose subjects name one of these person ids (JSON containment; text match on SQLite)."""
    query = Q()
    for person_id in sorted(set(ids)):
        if connection.vendor == "postgresql":
            query |= Q(**{f"{field}__contains": [{"person_id": person_id}]})
        else:
            # Django stores JSON with json.dumps' default separators; the closing quote stops P1 matching P10.
            query |= Q(**{f"{field}__icontains": f'"person_id": "{person_id}"'})
    return query


def viewer_teams(viewer: Viewer) -> set[str]:
    """The recipient team codes that count as the viewer's: those they act for (``casework.domain.teams.acts_for``),
    and for a manager the teams they manage."""
    from openmash.casework.domain.teams import acts_for

    teams = set(acts_for(viewer.team, manager=Role.TEAM_MANAGER in viewer.roles))
    if Role.TEAM_MANAGER in viewer.roles:
        from openmash.accounts.models import Team

        teams |= set(Team.objects.filter(manager__username=viewer.username, agency__code=viewer.agency)
                     .values_list("code", flat=True))
        if viewer.team.startswith("manager:"):
            teams.add(viewer.team.removeprefix("manager:"))
    return teams


def to_teams(teams: set[str]) -> Q:
    query = Q(recipient_team__in=[t for t in teams if t])
    if "" in teams:
        query |= Q(recipient_team__isnull=True) | Q(recipient_team="")
    return query


def notified(viewer: Viewer, person_id: str) -> Iterator[Relationship]:
    from openmash.protocol.models import Alert, Notification

    if not viewer.agency:
        return
    ids = aliases(person_id)
    teams = viewer_teams(viewer)
    levels = (
        Notification.objects.filter(recipient_agency=viewer.agency, withdrawn_at__isnull=True)
        .filter(to_teams(teams)).filter(subjects_naming(ids)).values_list("content_level", flat=True).distinct()
    )
    for level in set(levels):
        yield Relationship("notification", level_of(level))
    if Alert.objects.filter(recipient_agency=viewer.agency, person_id_then__in=ids).filter(to_teams(teams)).exists():
        yield Relationship("alert", Level.MINIMAL)


def _team_establishment(viewer: Viewer) -> tuple[str, str] | None:
    """For agencies whose teams are separate establishments (a school, a GP practice): the details key and code."""
    if viewer.agency not in {"school", "gp"}:
        return None
    from openmash.accounts.models import Team

    team = Team.objects.filter(agency__code=viewer.agency, code=viewer.team).first()
    if viewer.agency == "school":
        code = (team.school_urn if team else "") or viewer.team.removeprefix("URN:")
        return ("school_urn", code) if code else None
    code = (team.gp_ods_code if team else "") or viewer.team.removeprefix("ODS:")
    return ("ods_code", code) if code else None


def own_records(viewer: Viewer, person_id: str) -> Iterator[Relationship]:
    from openmash.intake.models import Mention

    if not viewer.agency:
        return
    mentions = (
        Mention.objects.filter(_mentions_of(aliases(person_id)), active=True, record__agency=viewer.agency,
                               record__withdrawn=False, record__current__isnull=False)
        .exclude(role="professional")
    )
    establishment = _team_establishment(viewer)
    if establishment is None:
        found = mentions.exists()
    else:
        key, code = establishment
        found = any(
            str((data.get("details") or {}).get(key) or "").strip().upper() == code.strip().upper()
            for data in mentions.values_list("record__current__data", flat=True)[:200]
            if isinstance(data, dict)
        )
    if found:
        yield Relationship("own_records", Level.FULL, frozenset({viewer.agency}))


def _routed_to(agency: str, person_id: str) -> bool:
    from openmash.intake.models import Mention
    from openmash.protocol.models import Notification

    ids = aliases(person_id)
    if Notification.objects.filter(recipient_agency=agency, withdrawn_at__isnull=True).filter(subjects_naming(ids)).exists():
        return True
    # Everyone named in an incident routed there (adults who are not subjects, children found later).
    mentions = Mention.objects.filter(_mentions_of(ids), active=True, record__withdrawn=False).exclude(role="professional")
    if mentions.filter(record__notifications__recipient_agency=agency,
                       record__notifications__withdrawn_at__isnull=True).exists():
        return True
    if agency == "csc":
        return mentions.filter(record__triage__isnull=False).exists()
    if agency == "marac":
        return mentions.filter(record__kind="marac_referral").exists()
    return False


def by_role(viewer: Viewer, person_id: str) -> Iterator[Relationship]:
    if Role.TRIAGE in viewer.roles and _routed_to("csc", person_id):
        yield Relationship("triage", Level.FULL)
    if Role.MARAC_COORDINATOR in viewer.roles and _routed_to("marac", person_id):
        yield Relationship("marac", Level.FULL)


def break_glass(viewer: Viewer, person_id: str) -> Iterator[Relationship]:
    from openmash.governance.breakglass import live_grant_exists

    if live_grant_exists(viewer.username, aliases(person_id)):
        yield Relationship("break_glass", Level.FULL)


PROVIDERS = (notified, own_records, by_role, break_glass)


def register() -> None:
    access.register_person_resolver(resolve)
    for provider in PROVIDERS:
        access.register_relationship_provider(provider)
