"""Subject access packs: third parties redacted, confidential addresses withheld, two people to release."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied

from openmash.accounts.models import RoleMembership, User
from openmash.governance import sar
from openmash.governance.domain.sar_rules import subject_view
from openmash.platform.models import AuditEvent
from tests.governance.scenario import REFUGE, ingest, linking, person, pid, rec

pytestmark = pytest.mark.django_db

INCIDENT = {
    "address": REFUGE,
    "details": {"dash": {"answers": {"1": "yes"}}, "officer_rationale": "Jan Kowalski threatened Anna at the refuge",
             "children_seen": [{"ref": "c", "seen": True, "said": "Daddy shouts at mummy"}],
             "victim_phone": "07700 900123"},
    "narrative": "Anna Kowalska called from 4 Saxifrage Road. Jan Kowalski (jan@example.org, 07700 900456) left.",
}


@pytest.fixture(autouse=True)
def world(settings, directory):
    linking(settings)
    ingest(rec("DA-1", agency="police", kind="da_incident", people=[
        person("v", "victim", "Anna", "Kowalska", "1990-02-03", address=REFUGE),
        person("p", "perpetrator", "Jan", "Kowalski", "1988-05-06"),
        person("c", "child_present", "Zofia", "Kowalska", "2020-07-08"),
    ], **INCIDENT))
    second = User.objects.create_user("ig-two", password="x" * 16)
    RoleMembership.objects.create(user=second, role="auditor")


def test_the_perpetrators_pack_holds_nothing_of_the_victim_or_the_child():
    view = subject_view(rec("X", agency="police", kind="da_incident", people=[
        person("v", "victim", "Anna", "Kowalska", "1990-02-03"),
        person("p", "perpetrator", "Jan", "Kowalski", "1988-05-06"),
        person("c", "child_present", "Zofia", "Kowalska", "2020-07-08")], **INCIDENT), "p")
    text = json.dumps(view)
    for secret in ("Anna", "Zofia", "Daddy", "07700", "dash", "victim_phone"):
        assert secret not in text
    assert view["you"]["given_names"] == "Jan"
    assert "Jan Kowalski" in view["details"]["officer_rationale"]  # their own name stays


def test_produce_approve_release_by_two_different_people():
    producer, approver = User.objects.get(username="auditor"), User.objects.get(username="ig-two")
    victim = pid("police", "DA-1", "v")
    row = sar.produce(producer, victim, requester_reference="SAR-2025-01", received_on=dt.date(2025, 1, 2))
    text = json.dumps(row.pack)
    assert "Saxifrage" not in text and "LN1" not in text and "Kowalski" not in text.replace("Kowalska", "")
    assert "Daddy" not in text
    with pytest.raises(sar.SarRefusedError, match="not_approved"):
        sar.release(producer, row.pk)
    with pytest.raises(sar.SarRefusedError, match="two_person_rule"):
        sar.decide(producer, row.pk, approve=True)
    sar.decide(approver, row.pk, approve=True)
    sar.release(producer, row.pk)
    actions = list(AuditEvent.objects.filter(action__startswith="sar.").values_list("action", "actor"))
    assert actions == [("sar.produce", "auditor"), ("sar.approve", "ig-two"), ("sar.release", "auditor")]


@pytest.mark.parametrize("username", ["triage", "social-worker", "analyst", "admin", "manager"])
def test_only_information_governance_leads_handle_packs(username):
    with pytest.raises(PermissionDenied):
        sar.produce(User.objects.get(username=username), pid("police", "DA-1", "v"), requester_reference="R",
                    received_on=dt.date(2025, 1, 2))
