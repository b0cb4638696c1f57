"""The governance entries on each role's home page (added to ``web.navigation.ROLE_LINKS`` at start-up)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from openmash.platform.domain.access_rules import Role

LINKS = {
    Role.TRIAGE: [(_("Find a person"), "/people/search/")],
    Role.PRACTITIONER: [(_("Find a person"), "/people/search/")],
    Role.MARAC_COORDINATOR: [(_("Find a person"), "/people/search/")],
    Role.TEAM_MANAGER: [(_("Governance messages"), "/governance/messages/")],
    Role.ANALYST: [(_("Partnership figures"), "/governance/partnership/")],
    Role.AUDITOR: [
        (_("Find a person"), "/people/search/"),
        (_("Emergency access to review"), "/governance/break-glass/"),
        (_("Who has seen a record"), "/governance/audit/"),
        (_("Subject access requests"), "/governance/subject-access/"),
        (_("Governance messages"), "/governance/messages/"),
        (_("Partnership figures"), "/governance/partnership/"),
    ],
}


def register() -> None:
    from openmash.web.navigation import ROLE_LINKS

    for role, links in LINKS.items():
        existing = ROLE_LINKS.setdefault(role, [])
        for link in links:
            if link[1] not in {href for _, href in existing}:
                existing.append(link)
