"""openmash governance tick [--now T]: escalate break-glass grants left unreviewed past their window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone


def _instant(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise CommandError(f"--now {value!r} is not an RFC 3339 date-time") from exc
    if moment.tzinfo is None:
        raise CommandError("--now needs an offset, e.g. 2025-05-06T17:00:00+01:00")
    return moment


class Command(BaseCommand):
    help = "Information governance housekeeping: `tick` escalates unreviewed break-glass access."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        tick = sub.add_parser("tick", help="Escalate break-glass grants unreviewed past their window, as at --now.")
        tick.add_argument("--now", help="The time to check as (RFC 3339 with offset); default: the clock.")

    def handle(self, *args: Any, **options: Any) -> None:
        from openmash.governance.breakglass import escalate_unreviewed

        now = _instant(options["now"]) if options.get("now") else timezone.now()
        escalated = escalate_unreviewed(now)
        self.stdout.write(f"{len(escalated)} break-glass grant(s) escalated as at {now.isoformat()}")
