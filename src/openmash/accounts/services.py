"""Loading an area's directory (agencies, teams, users) from a YAML or CSV file."""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from openmash.accounts.models import Agency, RoleMembership, Team, User
from openmash.intake.domain.record import AGENCIES
from openmash.platform.audit import Actor, record_event
from openmash.platform.domain.access_rules import Role

DEMO_DIRECTORY = Path(__file__).parent / "data" / "demo-directory.yaml"


class DirectoryError(ValueError):
    """The directory file is wrong; the message says where and how."""


@dataclass
class DirectoryResult:
    agencies: int = 0
    teams: int = 0
    users: list[tuple[str, str, list[str]]] = field(default_factory=list)  # username, password or "", roles


def read_directory(path: Path) -> dict[str, Any]:
    if path.suffix.lower() == ".csv":
        # CSV holds users only: username,name,agency,team,roles (roles separated by ';').
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return {"users": [{"username": r["username"], "name": r.get("name", ""),
                           "team": f"{r['agency']}/{r.get('team', '')}", "roles": r["roles"].split(";")} for r in rows]}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DirectoryError(f"{path}: expected a mapping with agencies, teams and users")
    return data


@transaction.atomic
def load_directory(data: dict[str, Any], *, actor: Actor, passwords: str | None = None) -> DirectoryResult:
    """Create or update agencies, teams and users. ``passwords`` sets every new user's password
    (demo only); otherwise new users get an unusable password and must be sent a reset."""
    result = DirectoryResult()
    for code, spec in (data.get("agencies") or {}).items():
        if code not in AGENCIES:
            raise DirectoryError(f"agency {code!r} is not an agency code of the interchange contract")
        Agency.objects.update_or_create(code=code, defaults={"name": (spec or {}).get("name", code)})
        result.agencies += 1
    for spec in data.get("teams") or []:
        agency = _agency(spec["agency"])
        Team.objects.update_or_create(
            agency=agency, code=spec.get("code", "") or "",
            defaults={"name": spec.get("name", ""), "postcode_districts": spec.get("postcode_districts", []),
                      "school_urn": spec.get("school_urn", ""), "gp_ods_code": spec.get("gp_ods_code", "")},
        )
        result.teams += 1
    for spec in data.get("users") or []:
        agency_code, _, team_code = spec["team"].partition("/")
        team = Team.objects.filter(agency__code=agency_code, code=team_code).first()
        if team is None:
            team = Team.objects.create(agency=_agency(agency_code), code=team_code, name=team_code or agency_code)
        roles = [Role(r) for r in spec.get("roles", [])]
        first, _, last = (spec.get("name") or "").partition(" ")
        user, created = User.objects.get_or_create(username=spec["username"], defaults={"team": team})
        user.team, user.first_name, user.last_name = team, first, last
        password = ""
        if created:
            if passwords:
                user.set_password(passwords)
                password = passwords
            else:
                user.set_unusable_password()
        user.save()
        for role in roles:
            RoleMembership.objects.get_or_create(user=user, role=role.value)
        result.users.append((user.username, password, [r.value for r in roles]))
    record_event(actor=actor, action="directory.load", object_type="directory",
                 details={"agencies": result.agencies, "teams": result.teams, "users": len(result.users)})
    return result


def _agency(code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        if code not in AGENCIES:
            raise DirectoryError(f"agency {code!r} is not an agency code of the interchange contract")
        agency = Agency.objects.create(code=code, name=code)
    return agency


def demo_password() -> str:
    return "demo-" + secrets.token_urlsafe(6)
