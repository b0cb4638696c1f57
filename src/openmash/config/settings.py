"""OpenMASH settings: one environment-driven file.

Layering: every value has a safe default for the embedded demo (SQLite under
``var/``, demo log-ins without MFA only when ``OPENMASH_DEMO=1``); production sets
``OPENMASH_PRODUCTION=1``, which turns on the transport and cookie hardening that
``manage.py check --deploy`` expects and refuses to start without a real secret key.
Secrets may be given as ``<NAME>_FILE`` paths (django-environ reads them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import environ
from django.utils.csp import CSP

from openmash.identity.blocking_index import load_secret as load_index_secret
from openmash.platform.fieldkeys import load_keys
from openmash.platform.sqlite_wal import connection_pragmas

env = environ.Env()
PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("OPENMASH_VAR_DIR", default="var")).resolve()

PRODUCTION = env.bool("OPENMASH_PRODUCTION", default=False)
DEMO_MODE = env.bool("OPENMASH_DEMO", default=False) and not PRODUCTION
DEBUG = env.bool("OPENMASH_DEBUG", default=False) and not PRODUCTION

_DEV_KEY = "openmash-development-key-not-for-production-use-0123456789abcdefghijklmnop"
SECRET_KEY = env.str("OPENMASH_SECRET_KEY", default="" if PRODUCTION else _DEV_KEY)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise environ.ImproperlyConfigured("OPENMASH_SECRET_KEY (50+ random characters) is required in production")
# Field-level encryption at rest (narrative text, confidential addresses): Fernet keys, newest first.
OPENMASH_FIELD_KEYS = load_keys(os.environ, var_dir=VAR_DIR, production=PRODUCTION)
# The blocking index stores keyed hashes of the keys (identity.blocking_index): the secret, bytes.
OPENMASH_INDEX_KEY = load_index_secret(os.environ, secret_key=SECRET_KEY)
ALLOWED_HOSTS = env.list("OPENMASH_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "openmash.platform.apps.HubAdminConfig",  # the admin narrowed: superusers with MFA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "openmash.platform",
    "openmash.accounts",
    "openmash.intake",
    "openmash.identity",
    "openmash.protocol",
    "openmash.casework",
    "openmash.governance",
    "openmash.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openmash.platform.middleware.SessionTimeoutMiddleware",
    "openmash.platform.middleware.MfaRequiredMiddleware",
    "openmash.platform.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openmash.config.urls"
WSGI_APPLICATION = "openmash.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openmash.web.context.hub",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL in production. Both run the whole test suite.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db_url("OPENMASH_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'openmash.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions stop two writers deadlocking on upgrade; WAL lets pages read while ingest writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # WAL checkpoints by a background thread of each process, not inside an ingest's commit (platform.sqlite_wal).
        "init_command": connection_pragmas(),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("OPENMASH_DB_CONN_MAX_AGE", default=60)
    # psycopg 3: parameters bound by the server, and a statement run OPENMASH_DB_PREPARE_THRESHOLD times on a
    # connection is prepared there (planned once, not parsed and planned on every run). Behind a pooler in
    # transaction mode, set OPENMASH_DB_PREPARE_THRESHOLD=off (README, "Serving in production").
    _prepare = env.str("OPENMASH_DB_PREPARE_THRESHOLD", default="2")
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "server_side_binding": env.bool("OPENMASH_DB_SERVER_SIDE_BINDING", default=True),
        "prepare_threshold": None if _prepare.lower() in {"off", "none", ""} else int(_prepare),
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- E-mail -------------------------------------------------------------------------------------------
# What OpenMASH e-mails carries no personal data (a prompt to sign in). OPENMASH_EMAIL picks the transport:
# console (the default outside production: printed), smtp (OPENMASH_EMAIL_URL, e.g. smtp+tls://user:pw@host:587)
# or notify (GOV.UK Notify: platform/govuk_notify.py). Django 6.1's MAILERS.
OPENMASH_EMAIL = env.str("OPENMASH_EMAIL", default="smtp" if PRODUCTION else "console")
MAILERS: dict[str, dict[str, Any]]
if OPENMASH_EMAIL == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif OPENMASH_EMAIL == "smtp":
    _smtp = env.email_url("OPENMASH_EMAIL_URL", default="smtp://localhost:25")
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {
        "host": _smtp["EMAIL_HOST"], "port": _smtp["EMAIL_PORT"], "username": _smtp["EMAIL_HOST_USER"],
        "password": _smtp["EMAIL_HOST_PASSWORD"], "use_tls": _smtp.get("EMAIL_USE_TLS", False),
        "use_ssl": _smtp.get("EMAIL_USE_SSL", False), "timeout": 10}}}
elif OPENMASH_EMAIL == "notify":
    MAILERS = {"default": {"BACKEND": "openmash.platform.govuk_notify.NotifyEmailBackend", "OPTIONS": {
        "api_key": env.str("OPENMASH_NOTIFY_API_KEY", default=""),
        "template_id": env.str("OPENMASH_NOTIFY_TEMPLATE_ID", default=""),
        "base_url": env.str("OPENMASH_NOTIFY_BASE_URL", default="")}}}
else:
    raise environ.ImproperlyConfigured(f"OPENMASH_EMAIL must be console, smtp or notify, not {OPENMASH_EMAIL!r}")
DEFAULT_FROM_EMAIL = env.str("OPENMASH_FROM_EMAIL", default="openmash@localhost")
#: Where people sign in: the links in e-mails start here.
OPENMASH_BASE_URL = env.str("OPENMASH_BASE_URL", default="http://127.0.0.1:8000")

# --- Authentication -----------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:sign-in"
AXES_FAILURE_LIMIT = env.int("OPENMASH_LOCKOUT_FAILURES", default=5)
AXES_COOLOFF_TIME = 1  # hours
# Lock the account after repeated failures wherever they come from; also lock the (username, IP) pair.
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
OTP_TOTP_ISSUER = "OpenMASH"
#: Every user must pass TOTP before reaching personal data, except in the local demo.
OPENMASH_MFA_REQUIRED = not DEMO_MODE

# Sessions: 15 minutes idle, 12 hours absolute, for every role (security.md; issue 6).
SESSION_IDLE_SECONDS = env.int("OPENMASH_SESSION_IDLE_SECONDS", default=15 * 60)
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security headers ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Internationalisation -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("pl", "Polski")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- API ----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Session only (so MFA and the idle timeout apply); never HTTP Basic, which would let a password alone in.
    # Agency systems use their own token class on the records endpoint.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenMASH API",
    "DESCRIPTION": "Agency feeds (interchange contract v1) and the hub's read API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
}

# --- Tasks --------------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- OpenMASH -----------------------------------------------------------------------------------------
#: Stages each stored record version passes through, in order, inside its transaction (intake §2).
OPENMASH_PIPELINE_STAGES: list[str] = env.list("OPENMASH_PIPELINE_STAGES", default=[
    "openmash.identity.services.link_record_version",
    "openmash.protocol.services.process_version",
])
#: The joint protocol in force (an area edits this file, not code).
OPENMASH_PROTOCOL_FILE = env.str("OPENMASH_PROTOCOL_FILE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("OPENMASH_LOG_LEVEL", default="WARNING")},
}

if os.environ.get("OPENMASH_TESTING"):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105 - speed in tests only
