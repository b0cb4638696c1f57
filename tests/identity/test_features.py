"""``MentionFeatures`` as JSON and as pickled by a rebuild's workers: every field, by name, in field order."""

from __future__ import annotations

import pickle

import pytest

from openmash.identity.domain.features import FEATURES_VERSION, FIELD_NAMES, MentionFeatures

#: Each field a value no other field holds: a value read from the wrong field shows.
DISTINCT = MentionFeatures(
    agency="police", record_id="POL-1", ref="p2", role="subject", given=("ANN", "MARIE"), family="SMITH-JONES",
    surnames=("JONES", "SMITH"), dob="1990-01-02", birth_years=None, sex="F", nhs="9990000026",
    agency_person_id="PN7", postcode="PE218AA", household=("U:100030000001", "B:7|MILL LANE|PE218AA"),
    occurred="2024-12-03", confidential=True, town="BOSTON", building="7|MILL LANE")
UNKNOWN = MentionFeatures(
    agency="gp", record_id="GP-9", ref="p1", role="household_member", given=(), family="", surnames=(), dob=None,
    birth_years=(1983, 1984), sex=None, nhs=None, agency_person_id=None, postcode=None, household=(),
    occurred="2024-01-01")


@pytest.mark.parametrize("features", [DISTINCT, UNKNOWN])
def test_features_as_json_hold_each_field_under_its_name_in_field_order(features):
    as_json = features.to_json()
    assert list(as_json) == [*FIELD_NAMES, "v"]
    assert as_json["v"] == FEATURES_VERSION
    assert all(as_json[name] == getattr(features, name) for name in FIELD_NAMES)
    assert MentionFeatures.from_json(as_json) == features


@pytest.mark.parametrize("features", [DISTINCT, UNKNOWN])
def test_features_sent_between_processes_arrive_the_same(features):
    arrived = pickle.loads(pickle.dumps([features, features]))
    assert arrived == [features, features]
    assert [getattr(arrived[0], name) for name in FIELD_NAMES] == [getattr(features, name) for name in FIELD_NAMES]
