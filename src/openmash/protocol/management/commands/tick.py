"""openmash tick --now T — run the periodic protocol checks once, as at time T (escalation, §6)."""

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
    help = ("Run the periodic protocol checks once, as at --now: escalate every notification unacknowledged at "
            "its due_by to the team's manager, then attempt the pushes due.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", help="The time to check as (RFC 3339 with offset); default: the clock.")

    def handle(self, *args: Any, **options: Any) -> None:
        from openmash.protocol.services import run_periodic_checks

        now = _instant(options["now"]) if options.get("now") else timezone.now()
        done = run_periodic_checks(now)
        self.stdout.write(f"as at {now.isoformat()}: {done['escalated']} notification(s) escalated, "
                          f"{done['delivered']} of {done['attempted']} push(es) delivered")
