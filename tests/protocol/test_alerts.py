"""§5: the five alerts, raised on live records of any kind, once per qualifying event."""

from __future__ import annotations

from .builders import HOME, OTHER, County

NEW_HOME = {"lines": ["6 Carlton Court"], "town": "Lincoln", "postcode": "LN2 9BP", "uprn": "109316622605"}


def test_repeat_incidents_for_a_child_involved_in_three_incidents_in_twelve_months():
    c = County()
    v, p, k = (c.person("v", "victim", address=HOME), c.person("p", "perpetrator"),
               c.person("k", "child_present", dob="2018-01-01"))
    c.backfill(c.incident("2024-03-01", v, p, k), c.incident("2024-08-01", v, p, k))
    third = c.incident("2025-01-10T10:00", v, p, k)
    c.live(third)
    alerts = c.alerts("REPEAT_INCIDENTS")
    assert [(a["person_id"], a["recipient"]["agency"]) for a in alerts] == [("k", "csc")]
    assert alerts[0]["evidence"][0] == {"agency": "police", "record_id": third["record_id"]}
    assert len(alerts[0]["evidence"]) == 3


def test_two_incidents_in_twelve_months_raise_no_repeat_alert():
    c = County()
    v, p, k = c.person("v", "victim"), c.person("p", "perpetrator"), c.person("k", "child_present", dob="2018-01-01")
    c.backfill(c.incident("2024-08-01", v, p, k))
    c.live(c.incident("2025-01-10T10:00", v, p, k))
    assert c.alerts("REPEAT_INCIDENTS") == []


def test_children_found_from_history_count_for_repeat_incidents():
    c = County()
    v, p = c.person("v", "victim", address=HOME), c.person("p", "perpetrator", address=HOME)
    c.backfill(c.record("tenancy", "2019-01-01", c.person("v", "household_member"),
                        c.person("k", "household_member", dob="2018-01-01"), agency="housing", address=HOME))
    c.backfill(*(c.incident(d, v, p) for d in ("2021-03-01", "2022-03-01", "2023-03-01", "2024-03-01")))
    c.live(c.incident("2025-01-10T10:00", v, p))
    assert [a["person_id"] for a in c.alerts("REPEAT_INCIDENTS")] == ["k"]  # 5 in 48 months


def test_a_new_version_of_the_same_incident_never_repeats_an_alert():
    c = County()
    v, p, k = c.person("v", "victim"), c.person("p", "perpetrator"), c.person("k", "child_present", dob="2018-01-01")
    c.backfill(c.incident("2024-03-01", v, p, k), c.incident("2024-08-01", v, p, k))
    third = c.incident("2025-01-10T10:00", v, p, k, recorded="2025-01-10T11:00")
    c.live(third)
    c.live({**third, "version": 2, "recorded_at": "2025-01-11T09:00:00+00:00", "narrative": "corrected"})
    assert len(c.alerts("REPEAT_INCIDENTS")) == 1


def test_perpetrator_new_household_when_a_former_perpetrator_moves_in_with_children():
    c = County()
    c.backfill(c.incident("2024-02-01", c.person("ex", "victim"), c.person("p", "perpetrator", address=OTHER)))
    c.backfill(c.record("school_enrolment", "2023-09-01", c.person("k", "subject", dob="2016-01-01", address=NEW_HOME),
                        agency="school", details={"school_urn": "123456"}))
    tenancy = c.record("tenancy", "2024-12-24T16:20", c.person("n", "household_member"),
                       c.person("p", "household_member"), agency="housing", address=NEW_HOME)
    c.live(tenancy)
    alerts = c.alerts("PERPETRATOR_NEW_HOUSEHOLD")
    assert [(a["person_id"], a["recipient"]["agency"]) for a in alerts] == [("p", "csc")]
    # Once per perpetrator and household: a GP registration at the same address raises nothing more.
    c.live(c.record("gp_registration", "2025-01-05", c.person("p", "subject", address={**NEW_HOME, "uprn": None}),
                    agency="gp"))
    assert len(c.alerts("PERPETRATOR_NEW_HOUSEHOLD")) == 1


def test_no_new_household_alert_for_children_already_involved_with_that_perpetrator():
    c = County()
    k = c.person("k", "child_present", dob="2016-01-01", address=NEW_HOME)
    c.backfill(c.incident("2024-02-01", c.person("v", "victim", address=NEW_HOME), c.person("p", "perpetrator",
                                                                                          address=OTHER), k))
    c.live(c.record("tenancy", "2024-12-24", c.person("p", "household_member"), c.person("k", "household_member"),
                    agency="housing", address=NEW_HOME))
    assert c.alerts("PERPETRATOR_NEW_HOUSEHOLD") == []


def test_repeat_contacts_on_the_third_contact_in_twelve_months_none_a_referral():
    c = County()
    kid = c.person("k", "subject", dob="2014-07-23")
    contacts = [c.record("csc_contact", d, kid, agency="csc", details={"outcome": o})
                for d, o in (("2024-06-01", "nfa"), ("2024-10-01", "advice"))]
    c.backfill(*contacts)
    c.live(c.record("csc_contact", "2025-04-27", kid, agency="csc", details={"outcome": "nfa"}))
    assert [a["person_id"] for a in c.alerts("REPEAT_CONTACTS")] == ["k"]


def test_no_repeat_contacts_alert_when_one_was_a_referral():
    c = County()
    kid = c.person("k", "subject", dob="2014-07-23")
    c.backfill(c.record("csc_contact", "2024-06-01", kid, agency="csc", details={"outcome": "referral"}),
               c.record("csc_contact", "2024-10-01", kid, agency="csc", details={"outcome": "nfa"}))
    c.live(c.record("csc_contact", "2025-04-27", kid, agency="csc", details={"outcome": "nfa"}))
    assert c.alerts("REPEAT_CONTACTS") == []


def test_supervised_adult_with_children_goes_to_the_supervision_team():
    c = County()
    c.backfill(c.record("probation_supervision", "2024-04-18", c.person("s", "subject"), agency="probation",
                        details={"offender_manager": {"team": "Gainsborough PDU"}}),
               c.record("gp_registration", "2022-01-01", c.person("k", "subject", dob="2016-11-09", address=HOME),
                        agency="gp"))
    c.live(c.record("tenancy", "2025-01-23", c.person("s", "household_member"), agency="housing", address=HOME))
    alerts = c.alerts("SUPERVISED_ADULT_WITH_CHILDREN")
    assert [(a["person_id"], a["recipient"]) for a in alerts] == [("s", {"agency": "probation",
                                                                          "team": "Gainsborough PDU"})]


def test_a_supervised_adult_at_a_confidential_address_is_reported_to_csc_instead():
    c = County()
    refuge = {**HOME, "confidential": True}
    c.backfill(c.record("probation_supervision", "2024-04-18", c.person("s", "subject"), agency="probation",
                        details={"offender_manager": {"team": "Gainsborough PDU"}}),
               c.record("gp_registration", "2022-01-01", c.person("k", "subject", dob="2016-11-09", address=refuge),
                        agency="gp"))
    c.live(c.record("tenancy", "2025-01-23", c.person("s", "household_member"), agency="housing", address=HOME))
    [alert] = c.alerts("SUPERVISED_ADULT_WITH_CHILDREN")
    assert alert["recipient"] == {"agency": "csc", "team": None}
    assert alert["note"] == "supervised person / perpetrator linked to a confidential address"


def test_unborn_child_da_on_the_first_version_of_a_booking_only():
    c = County()
    c.backfill(c.incident("2024-04-15", c.person("m", "victim"), c.person("p", "perpetrator")))
    booking = c.record("maternity_booking", "2025-01-27", c.person("m", "subject"), agency="midwifery",
                       details={"due_date": "2025-08-03"})
    c.live(booking)
    c.live({**booking, "version": 2, "recorded_at": "2025-02-01T10:00:00+00:00"})
    assert [(a["person_id"], a["recipient"]["agency"]) for a in c.alerts("UNBORN_CHILD_DA")] == [("m", "midwifery")]


def test_no_alerts_are_raised_in_backfill():
    c = County()
    v, p, k = c.person("v", "victim"), c.person("p", "perpetrator"), c.person("k", "child_present", dob="2018-01-01")
    c.backfill(*(c.incident(d, v, p, k) for d in ("2024-03-01", "2024-06-01", "2024-09-01")))
    assert c.alerts() == [] and c.notifications() == []


def test_pnh_on_birth_raises_the_alert_when_a_former_perpetrator_is_named_as_a_parent():
    from dataclasses import replace

    from openmash.protocol.domain.policy import load_policy

    for option, expected in ((False, 0), (True, 1)):
        policy = load_policy()
        c = County(replace(policy, options=replace(policy.options, pnh_on_birth=option)))
        c.backfill(c.incident("2024-02-01", c.person("ex", "victim"), c.person("p", "perpetrator", address=OTHER)))
        c.live(c.record("birth", "2025-01-05", c.person("b", "subject", dob="2025-01-05"),
                        c.person("m", "parent"), c.person("p", "parent"), agency="midwifery"))
        assert len(c.alerts("PERPETRATOR_NEW_HOUSEHOLD")) == expected
