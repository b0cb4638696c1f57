"""The Django admin, narrowed: superusers who have passed MFA, and no model holding people's records.

What is left is operations: quarantined lines to re-submit (each view audited), data-quality tasks, agency
API tokens, push endpoints and deliveries, sign-in lock-outs, MFA devices, task results. People, records,
mentions, notifications and the audit trail are reached only through the pages and the access layer.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest

#: Models that may be registered. A new registration fails ``tests/platform/test_admin_site.py`` until it is
#: judged here: nothing holding a person's record, notification or the audit trail belongs in the admin.
ALLOWED_MODELS = frozenset({
    "auth.Group", "otp_totp.TOTPDevice", "axes.AccessAttempt", "axes.AccessLog", "axes.AccessFailureLog",
    "django_tasks_database.DBTaskResult", "intake.DataQualityTask", "intake.AgencySystemToken",
    "protocol.Endpoint", "protocol.Delivery",
    # A line that could not be understood: its raw text may name people. Kept for the contract's §1 review
    # (re-submit or dismiss); every view of one is audited.
    "intake.Quarantine",
})


class HubAdminSite(AdminSite):
    site_header = "OpenMASH administration"
    site_title = "OpenMASH administration"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        verified = not settings.OPENMASH_MFA_REQUIRED or bool(getattr(user, "is_verified", lambda: False)())
        return bool(user.is_active and user.is_superuser and verified)
