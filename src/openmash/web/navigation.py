"""Each role's home page: its heading and the work it leads to. Capabilities add their entries here."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from openmash.platform.domain.access_rules import Role

ROLE_HEADINGS: dict[Role, Promise] = {
    Role.TRIAGE: _("Front-door triage"),
    Role.PRACTITIONER: _("Your team's work"),
    Role.TEAM_MANAGER: _("Team management"),
    Role.MARAC_COORDINATOR: _("MARAC coordination"),
    Role.ANALYST: _("Partnership analysis"),
    Role.AUDITOR: _("Audit and inspection"),
    Role.ADMIN: _("System administration"),
}
#: Order in which a user's roles pick their home heading (the most operational first).
ROLE_PRIORITY: tuple[Role, ...] = (
    Role.TEAM_MANAGER, Role.TRIAGE, Role.MARAC_COORDINATOR, Role.PRACTITIONER, Role.AUDITOR, Role.ANALYST, Role.ADMIN,
)
ROLE_LINKS: dict[Role, list[tuple[Promise, str]]] = {Role.ADMIN: [(_("Administration"), "/admin/")]}
# Casework pages (web/pages): what each role works in.
ROLE_LINKS[Role.TRIAGE] = [(_("Triage queue"), "/triage/"), (_("Team inbox"), "/inbox/"),
                           (_("Match review"), "/reviews/"), (_("Records held by data problems"), "/triage/data-quality/")]
ROLE_LINKS[Role.TEAM_MANAGER] = [(_("Triage queue"), "/triage/"), (_("Team inbox and escalations"), "/inbox/"),
                                 (_("Match review"), "/reviews/"),
                                 (_("Records held by data problems"), "/triage/data-quality/")]
ROLE_LINKS[Role.PRACTITIONER] = [(_("Team inbox"), "/inbox/"), (_("DASH checklist (printable)"),
                                                                 "/guidance/dash-checklist/"),
                                 (_("Information for victims (printable)"), "/guidance/victim-leaflet/"),
                                 (_("Your records held by data problems"), "/triage/data-quality/")]
ROLE_LINKS[Role.MARAC_COORDINATOR] = [(_("Team inbox"), "/inbox/")]
ROLE_LINKS[Role.AUDITOR] = [(_("Triage queue"), "/triage/"), (_("Match review"), "/reviews/")]


def primary_role(roles: frozenset[Role]) -> Role | None:
    return next((r for r in ROLE_PRIORITY if r in roles), None)
