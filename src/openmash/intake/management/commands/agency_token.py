"""openmash agency_token issue AGENCY NAME | list | revoke ID — tokens for agencies' systems (POST /api/v1/records)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import Agency
from openmash.intake.models import AgencySystemToken
from openmash.platform.audit import Actor, record_event

ACTOR = Actor.system("agency-token-cli")


class Command(BaseCommand):
    help = "Issue, list or revoke the API tokens of agencies' systems. A key is shown once, when issued."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue", help="issue a token to one agency's system")
        issue.add_argument("agency", help="agency code, e.g. police")
        issue.add_argument("name", help="the system, e.g. niche")
        sub.add_parser("list", help="every token (never the key)")
        revoke = sub.add_parser("revoke", help="revoke a token")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for token in AgencySystemToken.objects.select_related("agency").order_by("pk"):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
                self.stdout.write(f"{token.pk:>4}  {token.agency.code:20} {token.name:20} {state:18} {used}")
            return
        with transaction.atomic():
            if action == "issue":
                agency = Agency.objects.filter(code=options["agency"]).first()
                if agency is None:
                    raise CommandError(f"no agency {options['agency']!r}: load the directory first")
                token, key = AgencySystemToken.issue(agency=agency, name=options["name"])
                record_event(actor=ACTOR, action="api_token.issued", object_type="agency_system_token",
                             object_id=str(token.pk), purpose="agency feed", details={"agency": agency.code})
                self.stdout.write(f"token {token.pk} for {agency.code}:{token.name} (shown once): {key}")
            else:
                updated = AgencySystemToken.objects.filter(pk=options["id"], revoked_at=None).update(
                    revoked_at=timezone.now())
                if not updated:
                    raise CommandError(f"no active token {options['id']}")
                record_event(actor=ACTOR, action="api_token.revoked", object_type="agency_system_token",
                             object_id=str(options["id"]), purpose="agency feed")
                self.stdout.write(f"token {options['id']} revoked")
