"""openmash keys generate | rotate — field-encryption keys (``OPENMASH_FIELD_KEYS``, newest first)."""

from __future__ import annotations

import sys
from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from openmash.platform import encryption
from openmash.platform.audit import Actor, record_event


class Command(BaseCommand):
    help = ("Field-encryption keys. `generate` prints a new key; `rotate` re-encrypts every encrypted value "
            "with the newest key in OPENMASH_FIELD_KEYS (after it, the older keys can be removed).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="Print a new Fernet key (put it first in OPENMASH_FIELD_KEYS).")
        rotate = sub.add_parser("rotate", help="Re-encrypt with the newest key; safe to interrupt and run again.")
        rotate.add_argument("--batch", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            self.stdout.write(Fernet.generate_key().decode("ascii"))
            return
        columns = encryption.encrypted_columns()
        total = sum(encryption.count_rows(c) for c in columns)
        try:
            with _progress(total, self.stderr.isatty()) as advance:
                rewritten = encryption.reseal_all(columns, batch=options["batch"], progress=advance)
        except encryption.FieldKeyError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        newest = encryption.key_id(encryption.configured_keys()[0])
        with transaction.atomic():  # counts and key ids only: nothing of what was encrypted
            record_event(actor=Actor.system("keys"), action="keys.rotated", object_type="field_keys",
                         object_id=newest, purpose="key rotation",
                         details={"newest_key": newest, "rows_rewritten": rewritten, "rows_checked": total})
        for label, count in rewritten.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(f"every encrypted value is now under key {newest}; older keys can be removed")


class _progress:  # noqa: N801 - used as a context manager, reads like a function
    """A rich progress bar on a terminal; nothing otherwise (logs, CI)."""

    def __init__(self, total: int, terminal: bool) -> None:
        self.total, self.terminal = total, terminal
        self.bar: Any = None

    def __enter__(self) -> Any:
        if not self.terminal:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("re-encrypting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=Console(file=sys.stderr))
        self.bar.start()
        task = self.bar.add_task("rows", total=self.total)
        return lambda rows: self.bar.advance(task, rows)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
