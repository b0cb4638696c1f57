"""The pipeline stage on the database: facts in backfill, notifications and alerts only live, relinks followed."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from openmash.identity import services as identity
from openmash.identity.models import MentionLink
from openmash.intake.services import ingest_files
from openmash.platform.audit import Actor
from openmash.protocol.models import Alert, IncidentAssessment, IncidentChild, Notification, TriageItem
from tests.intake.records import record, write_feed

pytestmark = pytest.mark.django_db

STAGES = ["openmash.identity.services.link_record_version", "openmash.protocol.services.process_version"]
HOME = {"lines": ["14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA"}


@pytest.fixture(autouse=True)
def stages(settings):
    settings.OPENMASH_PIPELINE_STAGES = STAGES
    identity.forget_cached_model()


def ingest(tmp_path, *records, live=False, name="feed.jsonl"):
    return ingest_files([write_feed(tmp_path / name, list(records))], backfill=not live)


def person(ref, role, given, family, dob, **extra):
    return {"ref": ref, "role": role, "given_names": given, "family_name": family, "date_of_birth": dob,
            "address": HOME, **extra}


def incident(record_id, occurred, recorded, *people, officer="standard"):
    return record(record_id, agency="police", kind="da_incident", occurred_at=occurred, recorded_at=recorded,
                  address=HOME, people=list(people),
                  details={"dash": {"completed": True, "answers": {"1": "yes"}}, "officer_risk": officer})


ADULTS = (person("p1", "victim", "Tanya", "Roberts", "1990-02-17"),
          person("p2", "perpetrator", "Elliot", "Wilkinson", "1988-07-05"))


def test_backfill_records_incident_facts_but_sends_nothing(tmp_path):
    ingest(tmp_path, incident("NCH1", "2024-06-01T20:00:00+01:00", "2024-06-01T21:00:00+01:00", *ADULTS,
                              person("p3", "child_present", "Jake", "Wilkinson", "2014-05-23")))
    [assessment] = IncidentAssessment.objects.all()
    assert (assessment.level, assessment.tool, assessment.tool_version, assessment.live) == (
        "standard", "police_dash", "2009", False)
    assert IncidentChild.objects.filter(assessment=assessment).count() == 1
    assert not Notification.objects.exists() and not Alert.objects.exists() and not TriageItem.objects.exists()


def test_a_live_incident_notifies_in_the_same_transaction_and_queues_triage(tmp_path):
    ingest(tmp_path, incident("NCH2", "2025-04-17T17:25:00+01:00", "2025-04-17T17:59:00+01:00", *ADULTS,
                              person("p3", "child_present", "Jake", "Wilkinson", "2014-05-23")), live=True)
    agencies = set(Notification.objects.values_list("recipient_agency", flat=True))
    assert agencies == {"csc", "school_nursing"}
    [item] = TriageItem.objects.all()
    assert (item.level, item.youngest_age) == ("standard", 10)


def test_protocol_explain_prints_every_rule_considered(tmp_path, capsys):
    ingest(tmp_path, incident("NCH3", "2025-04-17T17:25:00+01:00", "2025-04-17T17:59:00+01:00", *ADULTS), live=True)
    call_command("protocol", "explain", "--record", "police:NCH3")
    out = capsys.readouterr().out
    assert "not fired CSC_CHILD_AT_DA_INCIDENT: no child involved" in out
    assert "level standard" in out


def test_a_merge_of_people_re_assesses_the_live_incidents_about_them(tmp_path):
    # The child is known to housing under a different name; the incident names no child.
    ingest(tmp_path, record("TEN1", agency="housing", kind="tenancy", occurred_at="2023-01-01T10:00:00Z",
                            recorded_at="2023-01-01T10:00:00Z", address=HOME,
                            people=[person("p1", "household_member", "Tanya", "Roberts", "1990-02-17"),
                                    person("p2", "household_member", "Jacob", "Smithson", "2015-05-23")]))
    ingest(tmp_path, incident("NCH4", "2025-04-17T17:25:00+01:00", "2025-04-17T17:59:00+01:00", *ADULTS),
           live=True, name="live1.jsonl")
    csc = Notification.objects.get(recipient_agency="csc")
    before = {s["person_id"] for s in csc.subjects}
    # A reviewer finds the housing child is the same as another record's child: merge them.
    ingest(tmp_path, record("GP9", agency="gp", kind="gp_registration", occurred_at="2025-04-20T10:00:00Z",
                            recorded_at="2025-04-20T10:00:00Z",
                            people=[person("p1", "subject", "Zed", "Other", "2015-05-23",
                                           address={"lines": ["1 Far Road"], "town": "Louth"})]),
           live=True, name="live2.jsonl")
    child = MentionLink.objects.get(mention__record__record_id="TEN1", mention__ref="p2").person_id
    other = MentionLink.objects.get(mention__record__record_id="GP9").person_id
    # The child's links move to the other person (as a merge keeping the other's id would).
    identity.merge_people(other, child, evidence={"test": True}, actor=Actor.system("test"))
    ingest(tmp_path, record("ED1", agency="ed", kind="ed_attendance", occurred_at="2025-04-21T10:00:00Z",
                            recorded_at="2025-04-21T10:00:00Z"), live=True, name="live3.jsonl")
    csc.refresh_from_db()
    after = {s["person_id"] for s in csc.subjects}
    assert before != after and csc.amended_at is not None
    assert csc.amended_at.isoformat() == "2025-04-21T10:00:00+00:00"


def test_health_teams_can_come_from_the_directory_by_postcode_district(tmp_path, settings):
    from pathlib import Path

    import openmash.protocol.policy
    from openmash.accounts.models import Agency, Team
    from openmash.protocol import services

    policy_file = tmp_path / "area.toml"
    shipped = (Path(openmash.protocol.policy.__file__).parent / "default-protocol.toml").read_text("utf-8")
    policy_file.write_text(shipped.replace("[recipient_teams]", '[recipient_teams]\n[recipient_teams.health_visiting]\n'
                                           'by = "directory"'), "utf-8")
    settings.OPENMASH_PROTOCOL_FILE = str(policy_file)
    hv, _ = Agency.objects.get_or_create(code="health_visiting", defaults={"name": "Health visiting"})
    Team.objects.create(agency=hv, code="Boston HV", name="Boston health visitors", postcode_districts=["PE21"])
    services._DIRECTORY_POLICY.clear()
    ingest(tmp_path, incident("NCH5", "2025-04-17T17:25:00+01:00", "2025-04-17T17:59:00+01:00", *ADULTS,
                              person("p3", "child_present", "Amy", "Wilkinson", "2023-05-23")), live=True)
    assert Notification.objects.get(recipient_agency="health_visiting").recipient_team == "Boston HV"
