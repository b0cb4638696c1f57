"""The only permitted fetches of casework objects for a user: ``access_*`` return the object with
the access decisions, or raise the one :class:`NotFound` for "absent" and "not yours" alike.

Every person whose data a page shows is passed through ``platform.access`` here (``access_person``, or
the page's ``reading`` block for several people), so each read is decided and audited in the page's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from openmash.accounts.models import User
from openmash.casework.domain import decisions
from openmash.casework.domain.teams import acts_for
from openmash.casework.models import Challenge
from openmash.governance.relationships import viewer_teams
from openmash.intake.models import Mention, Record
from openmash.platform.access import NotFound, Reads, reading
from openmash.platform.domain.access_rules import Decision, Level, Role
from openmash.protocol.models import Notification
from openmash.protocol.queries import unlinked_person_id
from openmash.protocol.services import policy_in_force


@dataclass
class PeopleAccess:
    """Decisions for the people a page is about; those refused are simply absent."""

    decisions: dict[str, Decision] = field(default_factory=dict)

    def level_for(self, person_id: str, agency: str | None) -> Level:
        decision = self.decisions.get(person_id)
        return decision.level_for(agency) if decision else Level.NONE

    def best_level(self, agency: str | None) -> Level:
        return max((d.level_for(agency) for d in self.decisions.values()), default=Level.NONE)

    def withholds_confidential_from(self, agency: str | None) -> bool:
        """Withhold when any decision says so (the strictest rule wins)."""
        return any(d.withholds_confidential_from(agency) for d in self.decisions.values())

    @property
    def read_only(self) -> bool:
        return any(d.read_only for d in self.decisions.values())


def check_people(user: User, person_ids: Iterable[str], *, purpose: str, source_ip: str = "",
                 reads: Reads | None = None) -> PeopleAccess:
    """Decide each person (refused people are left out, never an error on their own) and audit those granted:
    in one write here, or with the rest of the page's reads when the page's ``reads`` are given."""
    if reads is not None:
        return PeopleAccess(reads.people(person_ids, purpose=purpose))
    with reading(user, purpose=purpose, source_ip=source_ip) as own:
        return PeopleAccess(own.people(person_ids))


def person_ids_named(record: Record) -> dict[str, str]:
    """ref → person_id of everyone (not professionals) the record's current version names."""
    rows = (Mention.objects.filter(record=record, active=True).exclude(role="professional")
            .values_list("pk", "ref", "link__person__person_id"))
    return {ref: person_id or unlinked_person_id(pk) for pk, ref, person_id in rows}


@dataclass
class IncidentAccess:
    record: Record
    people: PeopleAccess
    person_of_ref: dict[str, str]

    @property
    def level(self) -> Level:
        return self.people.best_level(self.record.agency)

    @property
    def decision(self) -> Decision:
        """The decision that shows the most of this record (it is shown once, at that level)."""
        return max(self.people.decisions.values(), key=lambda d: d.level_for(self.record.agency))

    @property
    def about_refs(self) -> set[str]:
        return {ref for ref, pid in self.person_of_ref.items() if pid in self.people.decisions}


def access_incident(user: User, agency: str, record_id: str, *, source_ip: str = "") -> IncidentAccess:
    """A record (usually a ``da_incident``) the user may see through at least one person it names."""
    record = (Record.objects.filter(agency=agency, record_id=record_id, withdrawn=False, current__isnull=False)
              .select_related("current").first())
    if record is None:
        raise NotFound()
    refs = person_ids_named(record)
    people = check_people(user, refs.values(), purpose="incident", source_ip=source_ip)
    if not people.decisions or people.best_level(record.agency) == Level.NONE:
        raise NotFound()
    return IncidentAccess(record, people, refs)


def is_front_door(user: User) -> bool:
    viewer = user.as_viewer()
    return viewer.agency == "csc" and bool({Role.TRIAGE, Role.TEAM_MANAGER} & viewer.roles)


def own_teams(user: User) -> set[str]:
    """The recipient teams whose notifications are this user's to act on (``domain.teams.acts_for``)."""
    viewer = user.as_viewer()
    return set(acts_for(viewer.team, manager=Role.TEAM_MANAGER in viewer.roles))


def managed_teams(user: User) -> set[str]:
    """Teams a manager oversees: those the directory gives them, the one their team name says, and the
    agency's default team."""
    viewer = user.as_viewer()
    if Role.TEAM_MANAGER not in viewer.roles:
        return set()
    return (viewer_teams(viewer) | {""}) - own_teams(user)


def addressed_to(notification: Notification, user: User) -> bool:
    viewer = user.as_viewer()
    return notification.recipient_agency == viewer.agency and (notification.recipient_team or "") in own_teams(user)


def manages(notification: Notification, user: User) -> bool:
    """A team manager sees their teams' notifications (to follow up escalations)."""
    viewer = user.as_viewer()
    return notification.recipient_agency == viewer.agency and (notification.recipient_team or "") in managed_teams(
        user)


@dataclass
class NotificationAccess:
    notification: Notification
    people: PeopleAccess
    is_recipient: bool


def access_notification(user: User, notification_id: str, *, source_ip: str = "") -> NotificationAccess:
    """A notification addressed to the user's team (or to a team they manage)."""
    notification = Notification.objects.filter(notification_id=notification_id).select_related("record").first()
    if notification is None:
        raise NotFound()
    recipient = addressed_to(notification, user)
    if not recipient and not manages(notification, user):
        raise NotFound()
    people = check_people(user, (s.get("person_id") for s in notification.subjects if s.get("person_id")),
                          purpose="notification", source_ip=source_ip)
    return NotificationAccess(notification, people, recipient)


# --- challenges ---------------------------------------------------------------------------------------


def _challenged_decision(challenge: Challenge) -> decisions.ChallengedDecision:
    """The decision a challenge is about, as the resolution rules see it."""
    decision = challenge.decision
    agency, _, team = (decision.decided_in or f"{decision.record.agency}/").partition("/")
    door = policy_in_force().escalation
    return decisions.ChallengedDecision(outcome=decision.outcome, deciding_agency=agency, deciding_team=team,
                                        front_door_agency=door.front_door_agency, front_door_team=door.front_door_team)


def _resolver_of(user: User) -> decisions.Resolver:
    viewer = user.as_viewer()
    return decisions.Resolver(agency=viewer.agency, team=viewer.team, roles=frozenset(viewer.roles),
                              manages=frozenset(managed_teams(user)))


def may_resolve(challenge: Challenge, user: User) -> bool:
    """The front-door manager, or a manager of the team that made the challenged decision (domain rule)."""
    return decisions.may_resolve(_resolver_of(user), _challenged_decision(challenge))


@dataclass
class ChallengeAccess:
    challenge: Challenge
    incident: IncidentAccess


def access_challenge(user: User, challenge_id: int, *, source_ip: str = "") -> ChallengeAccess:
    """A challenge this user may resolve, with the incident it is about (its people decided and audited)."""
    challenge = (Challenge.objects.filter(pk=challenge_id)
                 .select_related("decision__record", "decision__feedback", "notification").first())
    if challenge is None or not may_resolve(challenge, user):
        raise NotFound()
    record = challenge.decision.record
    return ChallengeAccess(challenge, access_incident(user, record.agency, record.record_id, source_ip=source_ip))
