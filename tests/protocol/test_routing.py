"""§2: who is notified about an incident, with which reasons, subjects, priority and deadline."""

from __future__ import annotations

from .builders import HOME, OTHER, County


def family(c: County):
    return (c.person("v", "victim", dob="1990-01-01", address=HOME),
            c.person("p", "perpetrator", dob="1988-01-01", address=HOME))


def test_an_adult_only_standard_incident_notifies_no_one():
    c = County()
    incident = c.incident("2025-01-10T10:00", *family(c))
    c.live(incident)
    assert c.notifications(incident) == []


def test_a_child_involved_gives_one_notification_per_recipient_with_every_reason():
    c = County()
    kid = c.person("k", "victim", dob="2011-03-01", address=HOME)  # a victim of 13: also a child involved
    incident = c.incident("2025-01-10T10:00", kid, c.person("p", "perpetrator", dob="1980-01-01"))
    c.live(incident)
    csc = c.notification(incident, "csc")
    assert csc["reasons"] == ["CSC_CHILD_AT_DA_INCIDENT", "CSC_CHILD_VICTIM_UNDER_16"]
    assert csc["priority"] == "immediate" and csc["due_by"] == "2025-01-10T11:00:00+00:00"
    assert len([n for n in c.notifications(incident) if n["recipient"]["agency"] == "csc"]) == 1


def test_a_victim_under_sixteen_is_not_referred_to_marac_or_idva():
    c = County()
    kid = c.person("k", "victim", dob="2011-03-01")
    incident = c.incident("2025-01-10T10:00", kid, c.person("p", "perpetrator"), officer="high")
    c.live(incident)
    reasons = c.reasons(incident)
    assert ("marac", None) not in reasons and ("idva", None) not in reasons
    assert "CSC_CHILD_VICTIM_UNDER_16" in reasons[("csc", None)]


def test_children_living_with_the_victim_are_found_from_history_and_cited_by_that_record():
    c = County()
    v, p = family(c)
    kid = c.person("k", "household_member", dob="2017-04-04")
    tenancy = c.record("tenancy", "2023-01-01", c.person("v", "household_member", dob="1990-01-01"), kid,
                       agency="housing", address=HOME)
    c.backfill(tenancy)
    incident = c.incident("2025-01-10T10:00", v, p)
    c.live(incident)
    csc = c.notification(incident, "csc")
    cited = [s for s in csc["subjects"] if s["person_id"] == "k"]
    assert cited == [{"agency": "housing", "record_id": tenancy["record_id"], "person_ref": "p2", "person_id": "k"}]
    assert {"given_names": "K", "family_name": "Test", "date_of_birth": "2017-04-04",
            "involvement": "lives_in_household"} in csc["content"]["children"]
    assert ("school_nursing", None) in c.reasons(incident)


def test_a_child_whose_latest_address_is_elsewhere_is_not_involved():
    c = County()
    v, p = family(c)
    kid = c.person("k", "subject", dob="2017-04-04")
    c.backfill(c.record("gp_registration", "2020-01-01", {**kid, "address": HOME}, agency="gp"),
               c.record("gp_registration", "2024-01-01", {**kid, "address": OTHER}, agency="gp"))
    incident = c.incident("2025-01-10T10:00", v, p)
    c.live(incident)
    assert c.notifications(incident) == []


def test_a_later_correction_of_an_old_record_never_makes_an_old_address_the_latest():
    c = County()
    v, p = family(c)
    kid = c.person("k", "subject", dob="2017-04-04")
    old = c.record("gp_registration", "2020-01-01", {**kid, "address": HOME}, agency="gp", record_id="GP1")
    c.backfill(old, c.record("gp_registration", "2024-01-01", {**kid, "address": OTHER}, agency="gp"))
    corrected = {**old, "version": 2, "recorded_at": "2024-12-01T10:00:00+00:00"}
    c.backfill(corrected)
    incident = c.incident("2025-01-10T10:00", v, p)
    c.live(incident)
    assert c.notifications(incident) == []


def test_the_school_comes_from_the_open_enrolment_and_csc_is_told_when_the_incident_differs():
    c = County()
    v, p = family(c)
    c.backfill(c.record("school_enrolment", "2022-09-01", c.person("k", "subject", dob="2015-02-02"),
                        agency="school", details={"school_urn": "111111"}))
    incident = c.incident("2025-01-10T18:00", v, p, c.person("k", "child_present", dob="2015-02-02",
                                                            school_urn="222222"))
    c.live(incident)
    school = c.notification(incident, "school", "URN:111111")
    assert school["due_by"] == "2025-01-13T08:30:00+00:00" and school["content_level"] == "minimal"
    assert c.notification(incident, "school", "URN:222222") is None
    differs = c.notification(incident, "csc")["content"]["school_urn_differs"]
    assert differs == [{"person_id": "k", "incident_urn": "222222", "enrolment_urn": "111111"}]


def test_the_incident_urn_is_used_only_when_no_enrolment_is_open():
    c = County()
    v, p = family(c)
    c.backfill(c.record("school_enrolment", "2020-09-01", c.person("k", "subject"), agency="school",
                        details={"school_urn": "111111"}, ended="2023-07-20"))
    incident = c.incident("2025-01-10T18:00", v, p, c.person("k", "child_present", dob="2015-02-02",
                                                            school_urn="222222"))
    c.live(incident)
    assert ("school", "URN:222222") in c.reasons(incident)


def test_one_school_notification_per_school_however_many_children():
    c = County()
    v, p = family(c)
    kids = [c.person(f"k{i}", "child_present", dob="2014-02-02", school_urn="333333") for i in range(3)]
    incident = c.incident("2025-01-10T18:00", v, p, *kids)
    c.live(incident)
    school = c.notification(incident, "school", "URN:333333")
    assert [s["person_id"] for s in school["subjects"]] == ["k0", "k1", "k2"]


def test_a_pregnant_victim_known_only_from_a_maternity_booking_notifies_midwifery():
    c = County()
    v, p = family(c)
    c.backfill(c.record("maternity_booking", "2024-10-25", c.person("v", "subject"), agency="midwifery",
                        details={"due_date": "2025-05-02", "booking_team": "Team"}))
    incident = c.incident("2025-01-11T17:33", v, p)
    c.live(incident)
    assert c.reasons(incident) == {("midwifery", None): ["MIDWIFERY_PREGNANCY"]}
    assert c.notification(incident, "midwifery")["due_by"] == "2025-01-13T17:00:00+00:00"


def test_a_birth_after_the_booking_ends_the_pregnancy():
    c = County()
    v, p = family(c)
    c.backfill(c.record("maternity_booking", "2024-06-01", c.person("v", "subject"), agency="midwifery",
                        details={"due_date": "2025-02-01"}),
               c.record("birth", "2024-12-20", c.person("b", "subject", dob="2024-12-20"), c.person("v", "parent"),
                        agency="midwifery"))
    incident = c.incident("2025-01-11T17:33", v, p)
    c.live(incident)
    assert ("midwifery", None) not in c.reasons(incident)


def test_a_pregnant_perpetrator_is_not_a_pregnant_woman_involved():
    c = County()
    incident = c.incident("2025-01-11", c.person("v", "victim"), c.person("p", "perpetrator", pregnant=True))
    c.live(incident)
    assert c.notifications(incident) == []


def test_probation_is_told_through_the_supervision_team_and_is_perpetrator_facing():
    c = County()
    v, p = family(c)
    c.backfill(c.record("probation_supervision", "2024-04-18", c.person("p", "subject"), agency="probation",
                        details={"offender_manager": {"name": "A Officer", "team": " Gainsborough PDU "}}))
    incident = c.incident("2025-01-10T10:00", v, p)
    c.live(incident)
    probation = c.notification(incident, "probation", "Gainsborough PDU")
    assert probation["reasons"] == ["PROBATION_SUPERVISED_PERSON"]
    assert probation["content"]["do_not_disclose_to_subject"] is True
    assert [s["person_id"] for s in probation["subjects"]] == ["p"]


def test_drug_and_alcohol_needs_a_child_involved():
    c = County()
    v, p = family(c)
    c.backfill(c.record("drug_alcohol_episode", "2024-04-18", c.person("p", "subject"), agency="drug_alcohol"))
    alone = c.incident("2025-01-10T10:00", v, p)
    with_child = c.incident("2025-02-10T10:00", v, p, c.person("k", "child_present", dob="2019-01-01"))
    c.live(alone, with_child)
    assert c.notifications(alone) == []
    assert ("drug_alcohol", None) in c.reasons(with_child)


def test_high_risk_notifies_marac_idva_and_each_gp_practice_once():
    c = County()
    v, p = family(c)
    kid = c.person("k", "child_present", dob="2016-01-01")
    c.backfill(c.record("gp_registration", "2019-01-01", c.person("v", "subject"), agency="gp",
                        details={"ods_code": "c12345"}),
               c.record("gp_registration", "2019-01-01", c.person("k", "subject"), agency="gp",
                        details={"ods_code": "C12345"}))
    incident = c.incident("2025-01-10T10:00", v, p, kid, yes=15)
    c.live(incident)
    reasons = c.reasons(incident)
    assert reasons[("marac", None)] == ["MARAC_REFERRAL"] and reasons[("idva", None)] == ["IDVA_HIGH_RISK"]
    gp = c.notification(incident, "gp", "ODS:C12345")
    assert {s["person_id"] for s in gp["subjects"]} == {"v", "k"}
    assert c.notification(incident, "csc")["priority"] == "immediate"


def test_a_gp_practice_where_the_perpetrator_is_registered_is_perpetrator_facing():
    c = County()
    v, p = family(c)
    c.backfill(*(c.record("gp_registration", "2019-01-01", c.person(x, "subject"), agency="gp",
                          details={"ods_code": "C1"}) for x in ("v", "p")))
    incident = c.incident("2025-01-10T10:00", v, p, yes=15)
    c.live(incident)
    assert c.notification(incident, "gp", "ODS:C1")["content"]["do_not_disclose_to_subject"] is True


def test_an_unborn_child_alone_does_not_notify_csc_unless_the_option_is_set():
    from dataclasses import replace

    from openmash.protocol.domain.policy import load_policy

    for option, expected in ((False, False), (True, True)):
        policy = load_policy()
        c = County(replace(policy, options=replace(policy.options, csc_for_unborn_at_high=option)))
        v, p = c.person("v", "victim", pregnant=True), c.person("p", "perpetrator")
        incident = c.incident("2025-01-10T10:00", v, p, officer="high")
        c.live(incident)
        assert (("csc", None) in c.reasons(incident)) is expected
        assert ("midwifery", None) in c.reasons(incident)


def test_a_child_perpetrator_is_described_as_alleged_to_have_caused_harm_to_their_school():
    c = County()
    teen = c.person("t", "perpetrator", dob="2009-06-01", school_urn="444444")
    incident = c.incident("2025-01-10T18:00", c.person("v", "victim", dob="1980-01-01"), teen)
    c.live(incident)
    school = c.notification(incident, "school", "URN:444444")
    assert school["content"]["children"][0]["involvement"] == "alleged_to_have_caused_harm"
    assert school["content"]["do_not_disclose_to_subject"] is True
    nurse = c.notification(incident, "school_nursing")
    assert [p["role"] for p in nurse["content"]["people"] if p["person_id"] == "t"] == ["alleged_to_have_caused_harm"]


def test_recipient_teams_map_other_agencies_by_postcode_district():
    from dataclasses import replace

    from openmash.protocol.domain.policy import TeamMap, load_policy

    policy = load_policy()
    c = County(replace(policy, recipient_teams={"health_visiting": TeamMap(teams={"PE21": "Boston HV"})}))
    v, p = family(c)
    incident = c.incident("2025-01-10T10:00", v, p, c.person("k", "child_present", dob="2023-01-01", address=HOME))
    c.live(incident)
    assert ("health_visiting", "Boston HV") in c.reasons(incident)


def test_school_same_day_before_marks_a_notification_made_before_that_time_on_a_working_day():
    import datetime as dt
    from dataclasses import replace

    from openmash.protocol.domain.policy import load_policy

    policy = load_policy()
    c = County(replace(policy, options=replace(policy.options, school_same_day_before=dt.time(8, 30))))
    v, p = family(c)
    early = c.incident("2025-01-09T23:00", v, p, c.person("k", "child_present", dob="2014-02-02", school_urn="1"),
                       recorded="2025-01-10T07:45")
    late = c.incident("2025-01-10T09:00", v, p, c.person("k", "child_present", dob="2014-02-02", school_urn="1"),
                      recorded="2025-01-10T09:15")
    c.live(early, late)
    assert c.notification(early, "school")["read_before_school_today"] is True
    assert c.notification(late, "school")["read_before_school_today"] is False
    assert c.notification(early, "school")["due_by"] == "2025-01-13T08:30:00+00:00"  # unchanged by the option
    assert "read_before_school_today" not in c.notification(early, "csc")


def test_pregnancy_grace_days_extend_a_booking_past_its_due_date():
    from dataclasses import replace

    from openmash.protocol.domain.policy import load_policy

    for grace, expected in ((0, False), (14, True)):
        c = County(replace(load_policy(), pregnancy_grace_days=grace))
        v, p = family(c)
        c.backfill(c.record("maternity_booking", "2024-06-01", c.person("v", "subject"), agency="midwifery",
                            details={"due_date": "2025-01-01"}))
        incident = c.incident("2025-01-10T10:00", v, p)
        c.live(incident)
        assert (("midwifery", None) in c.reasons(incident)) is expected
