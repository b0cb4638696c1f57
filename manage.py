#!/usr/bin/env python
"""Django's manage.py, the same as the ``openmash`` command."""

from openmash.cli import main

if __name__ == "__main__":
    main()
