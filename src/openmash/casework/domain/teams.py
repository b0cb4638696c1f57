"""Which recipient teams a user acts for: the protocol addresses teams, the directory puts people in them.

The protocol (``protocol-default.md`` §2.4, §6) addresses a manager as ``manager:<team>``, and ``manager``
for an agency's default team (team null), and escalates what is not acknowledged to the manager of the team
it was sent to. The directory names the front-door manager's team ``manager:front_door`` while the front
door itself is csc's default team, so its escalations are addressed to plain ``manager``; and a
notification sent to a manager (a challenge, a disclosure) escalates to ``manager:manager:front_door``,
a team nobody is in. Both must land with the manager who holds the team.
"""

from __future__ import annotations

from openmash.protocol.domain.ids import manager_team


def acts_for(team: str, *, manager: bool) -> frozenset[str]:
    """The recipient team codes whose notifications a member of ``team`` acts on.

    A team manager in a manager team (``manager`` or ``manager:<team>``) also receives what is addressed to
    the agency's plain ``manager`` (escalations of the default team's notifications) and the escalations of
    what was sent to their own team: there is nobody above them to escalate to.
    """
    teams = {team}
    if manager and (team == "manager" or team.startswith("manager:")):
        teams |= {"manager", manager_team(team)}
    return frozenset(teams)
