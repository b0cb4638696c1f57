"""openmash directory load FILE | demo — load an area's agencies, teams and users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmash.accounts.services import DEMO_DIRECTORY, DirectoryError, load_directory, read_directory
from openmash.platform.audit import Actor


class Command(BaseCommand):
    help = "Load the partnership directory (agencies, teams, users) from YAML or CSV, or the demo directory."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Load a directory file (.yaml or .csv).")
        load.add_argument("file", type=Path)
        demo = sub.add_parser("demo", help="Load the demo directory with one log-in per role.")
        demo.add_argument("--password", default="demo-password-1", help="Password for every demo user.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("directory")
        try:
            if options["action"] == "demo":
                result = load_directory(read_directory(DEMO_DIRECTORY), actor=actor, passwords=options["password"])
            else:
                path: Path = options["file"]
                if not path.is_file():
                    raise CommandError(f"cannot read {path}: no such file")
                result = load_directory(read_directory(path), actor=actor)
        except (DirectoryError, KeyError, ValueError) as error:
            raise CommandError(f"directory not loaded: {error}") from error
        self.stdout.write(f"{result.agencies} agencies, {result.teams} teams, {len(result.users)} users loaded")
        if options["action"] == "demo":
            self.stdout.write("Demo log-ins (user / password / roles):")
            for username, _password, roles in result.users:
                self.stdout.write(f"  {username:15} {options['password']}  {', '.join(roles)}")
