"""§2.6: updated and withdrawn incident records."""

from __future__ import annotations

from .builders import County


def setup():
    c = County()
    v, p = c.person("v", "victim", dob="1990-01-01"), c.person("p", "perpetrator", dob="1990-01-01")
    k = c.person("k", "child_present", dob="2016-01-01")
    incident = c.incident("2025-01-10T10:00", v, p, k, recorded="2025-01-10T11:00", narrative="Typo hre.")
    c.live(incident)
    return c, incident, (v, p, k)


def version(incident, n, recorded, **changes):
    return {**incident, "version": n, "recorded_at": recorded, **changes}


def test_a_spelling_correction_sends_nothing_new():
    c, incident, _ = setup()
    before = c.notifications(incident)
    c.live(version(incident, 2, "2025-01-11T09:00:00+00:00", narrative="Typo here."))
    assert c.notifications(incident) == before


def test_a_higher_level_amends_the_notification_keeping_its_id_and_created_at():
    c, incident, _ = setup()
    csc = c.notification(incident, "csc")
    details = {**incident["details"], "officer_risk": "high"}
    c.live(version(incident, 2, "2025-01-11T09:00:00+00:00", details=details))
    amended = c.notification(incident, "csc")
    assert amended["notification_id"] == csc["notification_id"] and amended["created_at"] == csc["created_at"]
    assert amended["priority"] == "immediate" and amended["amended_at"] == "2025-01-11T09:00:00+00:00"
    assert amended["source_version"] == 2
    assert amended["due_by"] == min(csc["due_by"], "2025-01-11T10:00:00+00:00")
    assert c.notification(incident, "marac") is not None  # a new recipient: created from the new version


def test_a_child_removed_withdraws_the_notifications_that_no_longer_apply():
    c, incident, (v, p, _) = setup()
    corrected = version(incident, 2, "2025-01-11T09:00:00+00:00", people=incident["people"][:2])
    c.live(corrected)
    csc = c.notification(incident, "csc")
    assert csc["withdrawn_at"] == "2025-01-11T09:00:00+00:00"
    assert csc["reasons"][-1] == "RECORD_CORRECTED"
    assert "no longer applies" in csc["content"]["statement"]


def test_a_withdrawn_record_withdraws_its_notifications():
    c, incident, _ = setup()
    c.live(version(incident, 2, "2025-01-11T09:00:00+00:00", withdrawn=True))
    assert all(n["withdrawn_at"] for n in c.notifications(incident))


def test_duplicate_and_stale_versions_are_not_assessed():
    c, incident, _ = setup()
    outcomes = len(c.store.outcomes)
    c.live(incident, version(incident, 1, "2025-01-12T09:00:00+00:00", narrative="different"))
    assert len(c.store.outcomes) == outcomes
