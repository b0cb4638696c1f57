"""WSGI entry point (gunicorn openmash.config.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmash.config.settings")
application = get_wsgi_application()
