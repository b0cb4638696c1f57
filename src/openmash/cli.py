"""The ``openmash`` command: every operation of the hub, as Django management commands behind one CLI.

``openmash --help`` lists the commands; ``openmash <command> --help`` explains one.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["openmash", *argv])
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
