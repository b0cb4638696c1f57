"""Odd but valid records never make the engine fail: `details` is unchecked beyond warnings (contract §1, §5)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .builders import HOME, County

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 50) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
details = st.fixed_dictionaries({}, optional={
    "dash": json_values | st.fixed_dictionaries({"answers": st.dictionaries(
        st.sampled_from([str(i) for i in range(0, 30)] + ["x"]), json_values, max_size=30)}),
    "officer_risk": json_values,
    "children_seen": json_values | st.lists(st.fixed_dictionaries({"ref": json_values, "said": json_values}),
                                            max_size=3),
    "offences": json_values,
    "powers_used": json_values,
    "stop_abuse_text": json_values,
    "school_urn": json_values,
    "offender_manager": json_values,
    "ods_code": json_values,
    "due_date": json_values,
    "outcome": json_values,
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(details, details, st.sampled_from(["probation_supervision", "gp_registration", "school_enrolment",
                                          "maternity_booking", "csc_contact", "marac_referral"]))
def test_arbitrary_details_never_break_assessment_routing_or_alerts(incident_details, other_details, kind):
    c = County()
    child = c.person("k", "child_present", dob="2016-01-01", address=HOME)
    other = c.record(kind, "2024-06-01", c.person("v", "subject", address=HOME), c.person("k", "subject"),
                     agency="csc", details=other_details)
    c.backfill(other)
    incident = c.record("da_incident", "2025-01-10T10:00", c.person("v", "victim", address=HOME),
                        c.person("p", "perpetrator"), child, details=incident_details, address=HOME,
                        narrative="Attended 14 Mill Lane.")
    c.live(incident, c.record(kind, "2025-01-11", c.person("v", "subject", address=HOME), agency="csc",
                              details=other_details))
    assert c.notification(incident, "csc") is not None
