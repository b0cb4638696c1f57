"""Which recipient teams a user acts for (the protocol's addressing against the directory's teams)."""

from __future__ import annotations

import pytest

from openmash.casework.domain.teams import acts_for


@pytest.mark.parametrize(("team", "manager", "teams"), [
    ("", False, {""}),  # the MASH front door (csc's default team)
    ("", True, {""}),  # a manager placed in an ordinary team acts for it only
    ("manager:front_door", True, {"manager:front_door", "manager", "manager:manager:front_door"}),
    ("manager", True, {"manager", "manager:manager"}),
    ("manager:front_door", False, {"manager:front_door"}),  # in the team without the role
    ("north", True, {"north"}),
])
def test_a_manager_also_receives_the_default_teams_escalations_and_those_of_their_own(team, manager, teams):
    assert acts_for(team, manager=manager) == teams
