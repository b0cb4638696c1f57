"""Legitimate relationships: the facts that connect a viewer's team to a person (registered with the access layer).

One provider answers for one viewer and several people at once (each by the id they stand under now), so a
page deciding a household reads each kind of fact once; the one-person form is the same code for a list
of one. It yields :class:`Relationship` facts; the pure rules in ``platform.domain.access_rules`` turn them
into a decision.

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

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from openmash.platform import access
from openmash.platform.compiled import Compiled, Ints, Static
from openmash.platform.domain.access_rules import Level, Relationship, Role, Viewer, level_of

UNLINKED_PREFIX = "U"
#: person id asked about → that id and every id merged into it.
Aliases = Mapping[str, set[str]]


def resolve(person_id: str) -> str | None:
    """The id the person stands under now; None when nobody has this id (a foreign id and a made-up one alike)."""
    return resolve_many([person_id])[person_id]


def resolve_many(person_ids: Sequence[str]) -> dict[str, str | None]:
    """``resolve`` for several ids: one read of the people (and one more per level of merges to follow)."""
    from openmash.identity.queries import standing_person_ids_compiled
    from openmash.intake.models import Mention

    ids = list(dict.fromkeys(person_ids))
    standing = standing_person_ids_compiled(ids)
    out: dict[str, str | None] = {person_id: standing.get(person_id) for person_id in ids}
    unlinked = {i: pk for i in ids if i not in standing and (pk := _unlinked_pk(i)) is not None}
    if unlinked:
        exists = set(Mention.objects.filter(pk__in=list(unlinked.values()), link__isnull=True)
                     .exclude(role="professional").values_list("pk", flat=True))
        out.update({i: i for i, pk in unlinked.items() if pk in exists})
    return out


def _unlinked_pk(person_id: str) -> int | None:
    """A person-in-record the linker has not seen stands as ``U<mention pk>`` (the links export's convention)."""
    if person_id.startswith(UNLINKED_PREFIX) and person_id[1:].isdigit():
        return int(person_id[1:])
    return None


def aliases(person_id: str) -> set[str]:
    """The person's id and every id merged into it, however deep."""
    return aliases_many([person_id])[person_id]


def aliases_many(person_ids: Iterable[str]) -> dict[str, set[str]]:
    """``aliases`` for several people: one read per level of merges, for all of them together."""
    from openmash.identity.queries import merged_aliases_compiled

    return merged_aliases_compiled(person_ids)


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


def subject_ids(subjects: Any) -> set[str]:
    """The person ids a notification's subjects name (what ``subjects_naming`` matched, read back)."""
    if not isinstance(subjects, list):
        return set()
    return {s["person_id"] for s in subjects if isinstance(s, dict) and isinstance(s.get("person_id"), str)}


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
    return _to_teams(sorted(t for t in teams if t), "" in teams)


def _to_teams(codes: list[str], default_team: bool) -> Q:
    query = Q(recipient_team__in=codes)
    if default_team:
        query |= Q(recipient_team__isnull=True) | Q(recipient_team="")
    return query


def _everyone(ids: Aliases) -> set[str]:
    return set().union(*ids.values()) if ids else set()


def _holding(ids: Aliases, names: set[str]) -> list[str]:
    """The people (as asked) one of whose ids is among ``names``."""
    return [person_id for person_id, own in ids.items() if own & names]


def _named_in(mentions: QuerySet[Any], ids: Aliases) -> list[str]:
    """The people (as asked) with a person-in-record among ``mentions`` (linked to one of their ids, or,
    unlinked, standing as ``U<mention pk>``)."""
    if not any(_unlinked_pk(i) is not None for i in _everyone(ids)):
        return _holding(ids, set(mentions.values_list("link__person__person_id", flat=True).distinct()))
    return _holding(ids, {_person_of(pk, person_id) for pk, person_id in
                          mentions.values_list("pk", "link__person__person_id")})


def _person_of(mention_pk: int, linked: str | None) -> str:
    return linked if linked is not None else f"{UNLINKED_PREFIX}{mention_pk}"


def _notifications(agency: str, codes: list[str], default_team: bool, ids: list[str]) -> QuerySet[Any, Any]:
    """One branch per person, their distinct union: PostgreSQL answers each person's containment from the subjects'
    index, where an OR of them would have it read every notification to the team once the list has two."""
    from openmash.protocol.models import Notification

    to_team = (Notification.objects.filter(recipient_agency=agency, withdrawn_at__isnull=True)
               .filter(_to_teams(codes, default_team)))
    if len(ids) < 2:
        return to_team.filter(subjects_naming(ids)).values_list("subjects", "content_level").distinct()
    first, *rest = (to_team.filter(subjects_naming([i])).values_list("subjects", "content_level") for i in ids)
    return first.union(*rest)


def _alerts(agency: str, codes: list[str], default_team: bool, ids: list[str]) -> QuerySet[Any, Any]:
    from openmash.protocol.models import Alert

    return (Alert.objects.filter(recipient_agency=agency, person_id_then__in=ids)
            .filter(_to_teams(codes, default_team)).values_list("person_id_then").distinct())


# The access decisions' statements, compiled once per connection (platform.compiled): every page runs them.
_NOTIFICATIONS = Compiled(_notifications, str, list, Static, list)
_ALERTS = Compiled(_alerts, str, list, Static, list)


def notified(viewer: Viewer, ids: Aliases) -> dict[str, list[Relationship]]:
    if not viewer.agency:
        return {}
    everyone = sorted(_everyone(ids))
    teams = viewer_teams(viewer)
    codes, default_team = sorted(t for t in teams if t), "" in teams
    levels: dict[str, set[str]] = defaultdict(set)
    for subjects, level in _NOTIFICATIONS.rows(viewer.agency, codes, default_team, everyone):
        for person_id in _holding(ids, subject_ids(subjects)):
            levels[person_id].add(level)
    alerted = {row[0] for row in _ALERTS.rows(viewer.agency, codes, default_team, everyone)}
    out: dict[str, list[Relationship]] = defaultdict(list)
    for person_id, found in levels.items():
        out[person_id] += [Relationship("notification", level_of(level)) for level in found]
    for person_id in _holding(ids, alerted):
        out[person_id].append(Relationship("alert", Level.MINIMAL))
    return out


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


def _own_mentions(agency: str, ids: list[str], unlinked: list[int], detail: str) -> QuerySet[Any, Any]:
    """The agency's current people-in-record who are these people (linked to one of ``ids``, or one of the
    ``unlinked`` mentions): each one's person id, or with ``detail`` its pk, person id and that record detail."""
    from openmash.intake.models import Mention

    named = Q(link__person__person_id__in=ids)
    if unlinked:
        named |= Q(pk__in=unlinked, link__isnull=True)
    mentions = (Mention.objects.filter(named, active=True, record__agency=agency, record__withdrawn=False,
                                       record__current__isnull=False).exclude(role="professional"))
    if detail:
        return mentions.values_list("pk", "link__person__person_id", f"record__current__data__details__{detail}")
    if unlinked:
        return mentions.values_list("pk", "link__person__person_id")
    return mentions.values_list("link__person__person_id").distinct()


_OWN_MENTIONS = Compiled(_own_mentions, str, list, Ints, Static)


def own_records(viewer: Viewer, ids: Aliases) -> dict[str, list[Relationship]]:
    if not viewer.agency:
        return {}
    everyone = sorted(_everyone(ids))
    unlinked = [pk for pk in (_unlinked_pk(i) for i in everyone) if pk is not None]
    fact = [Relationship("own_records", Level.FULL, frozenset({viewer.agency}))]
    establishment = _team_establishment(viewer)
    if establishment is None:
        rows = _OWN_MENTIONS.rows(viewer.agency, everyone, unlinked, "")
        names = {row[0] for row in rows} if not unlinked else {_person_of(pk, linked) for pk, linked in rows}
        return dict.fromkeys(_holding(ids, names), fact)
    # The establishment's own records only: those whose details carry its code.
    key, code = establishment
    rows = _OWN_MENTIONS.rows(viewer.agency, everyone, unlinked, key)
    names = {_person_of(pk, linked) for pk, linked, value in rows
             if str(value or "").strip().upper() == code.strip().upper()}
    return dict.fromkeys(_holding(ids, names), fact)


def _routed_to(agency: str, ids: Aliases) -> list[str]:
    """The people (as asked) in something routed to ``agency``: named in a notification to it, or (adults who
    are not subjects, children found later) in an incident notified to it; for csc, in an incident on the
    front-door queue; for marac, in a MARAC referral."""
    from openmash.intake.models import Mention
    from openmash.protocol.models import Notification

    subjects = Notification.objects.filter(recipient_agency=agency, withdrawn_at__isnull=True).filter(
        subjects_naming(_everyone(ids))).values_list("subjects", flat=True)
    routed = _holding(ids, set().union(*(subject_ids(s) for s in subjects)))
    left = {p: own for p, own in ids.items() if p not in routed}
    if not left:
        return routed
    mentions = (Mention.objects.filter(_mentions_of(_everyone(left)), active=True, record__withdrawn=False)
                .exclude(role="professional"))
    also = Q(record__notifications__recipient_agency=agency, record__notifications__withdrawn_at__isnull=True)
    routed += _named_in(mentions.filter(also), left)
    left = {p: own for p, own in left.items() if p not in routed}
    if left and agency in {"csc", "marac"}:
        mentions = (Mention.objects.filter(_mentions_of(_everyone(left)), active=True, record__withdrawn=False)
                    .exclude(role="professional"))
        queued = Q(record__triage__isnull=False) if agency == "csc" else Q(record__kind="marac_referral")
        routed += _named_in(mentions.filter(queued), left)
    return routed


def by_role(viewer: Viewer, ids: Aliases) -> dict[str, list[Relationship]]:
    out: dict[str, list[Relationship]] = defaultdict(list)
    if Role.TRIAGE in viewer.roles:
        for person_id in _routed_to("csc", ids):
            out[person_id].append(Relationship("triage", Level.FULL))
    if Role.MARAC_COORDINATOR in viewer.roles:
        for person_id in _routed_to("marac", ids):
            out[person_id].append(Relationship("marac", Level.FULL))
    return out


def _grants(username: str, ids: list[str]) -> QuerySet[Any, Any]:
    from openmash.governance.models import BreakGlassGrant

    return BreakGlassGrant.objects.filter(username=username, person_id__in=ids, revoked_at__isnull=True).values_list(
        "person_id", "granted_at", "expires_at")


_GRANTS = Compiled(_grants, str, list)


def break_glass(viewer: Viewer, ids: Aliases) -> dict[str, list[Relationship]]:
    """``governance.breakglass.live_grants``' rule (not revoked, granted by now, not yet expired), the time
    compared here so that the statement stays the same from one request to the next."""
    from django.utils import timezone

    now = timezone.now()
    granted = {person_id for person_id, granted_at, expires_at in _GRANTS.rows(viewer.username, sorted(_everyone(ids)))
               if granted_at <= now < expires_at}
    return {person_id: [Relationship("break_glass", Level.FULL)] for person_id in _holding(ids, granted)}


#: Each kind of fact, for several people at once (each given with their aliases); in this order per person.
KINDS: tuple[Callable[[Viewer, Aliases], Mapping[str, list[Relationship]]], ...] = (
    notified, own_records, by_role, break_glass)


def relationships_many(viewer: Viewer, person_ids: Sequence[str]) -> dict[str, list[Relationship]]:
    """Every relationship fact of the viewer's team to each of these people: each kind read once for all."""
    ids = aliases_many(person_ids)
    out: dict[str, list[Relationship]] = {person_id: [] for person_id in ids}
    for kind in KINDS:
        for person_id, found in kind(viewer, ids).items():
            out[person_id] += found
    return out


def relationships(viewer: Viewer, person_id: str) -> list[Relationship]:
    """``relationships_many`` for one person."""
    return relationships_many(viewer, [person_id])[person_id]


def register() -> None:
    access.register_person_resolver(resolve, many=resolve_many)
    access.register_relationship_provider(relationships, many=relationships_many)
