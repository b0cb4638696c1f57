"""The Django admin is for superusers who have passed MFA, and holds no model with people's records."""

from __future__ import annotations

import pytest
from django.contrib import admin

from openmash.accounts.models import User
from openmash.platform.admin_site import ALLOWED_MODELS, HubAdminSite

pytestmark = pytest.mark.django_db


def test_it_is_the_narrowed_site():
    assert isinstance(admin.site, HubAdminSite)


def test_no_model_holding_records_people_notifications_or_audit_is_registered():
    registered = {model._meta.label for model in admin.site._registry}
    assert registered <= ALLOWED_MODELS, registered - ALLOWED_MODELS
    assert not registered & {"intake.Record", "intake.RecordVersion", "intake.Mention", "identity.Person",
                             "protocol.Notification", "platform.AuditEvent", "accounts.User"}


def test_staff_who_are_not_superusers_are_refused(client, no_mfa):
    client.force_login(User.objects.create_user("ops", password="x" * 16, is_staff=True))
    assert client.get("/admin/").status_code == 302


def test_a_superuser_is_refused_until_they_pass_mfa(client, settings):
    settings.OPENMASH_MFA_REQUIRED = True
    client.force_login(User.objects.create_superuser("root", password="x" * 16))
    assert client.get("/admin/").status_code == 302


def test_a_superuser_past_mfa_gets_in(admin_client, no_mfa):
    assert admin_client.get("/admin/").status_code == 200
