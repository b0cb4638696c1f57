"""A small partnership world for the security matrix: people each demo role may or may not see.

* ``C``/``V``/``P``: a live high-risk domestic abuse incident (``DA-1``), routed by the real protocol engine;
* ``Q``: known only to housing (no demo user works there): *no involvement* for everyone;
* ``R``: known to housing, notified to health visiting team ``north`` (no demo user): *other team*;
* ``S``: known to housing, notified to school nursing: *other agency* for all but the school nurse;
* ``M``: a person merged into ``Q`` (an old id of a foreign person).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from openmash.accounts.models import User
from openmash.governance import breakglass
from openmash.identity.models import Person
from openmash.identity.services import forget_cached_model
from tests.governance.scenario import HOME, REFUGE, at, ingest, notify, person, pid, rec


def _far(n: int) -> dict[str, object]:
    """An address far from the incident (nobody there is a child of its household)."""
    return {"lines": [f"{n} Far Away Close"], "town": "Grantham", "postcode": "NG31 6AA"}

DASH_HIGH = {"completed": True, "answers": {str(i): "yes" for i in range(1, 16)}}
NOT_THERE = "P9999999"


@dataclass
class World:
    people: dict[str, str] = field(default_factory=dict)
    notifications: dict[str, str] = field(default_factory=dict)
    grants: dict[str, int] = field(default_factory=dict)


def build(settings) -> World:
    settings.OPENMASH_PIPELINE_STAGES = ["openmash.identity.services.link_record_version",
                                         "openmash.protocol.services.process_version"]
    forget_cached_model()
    world = World()
    ingest(
        rec("TEN-Q", agency="housing", kind="tenancy", address=_far(1),
            people=[person("q", "household_member", "Quentin", "Quarry", "1970-01-01")]),
        rec("TEN-M", agency="housing", kind="tenancy", address=_far(2),
            people=[person("m", "household_member", "Maud", "Merged", "1971-01-01")]),
        rec("TEN-R", agency="housing", kind="tenancy", address=_far(3),
            people=[person("r", "household_member", "Rhoda", "Remote", "2023-03-03")]),
        rec("TEN-S", agency="housing", kind="tenancy", address=_far(4),
            people=[person("s", "household_member", "Sid", "Sideways", "2012-02-02")]),
    )
    ingest(rec("DA-1", agency="police", kind="da_incident", recorded_at=at(10_000), address=REFUGE,
               details={"dash": DASH_HIGH, "officer_risk": "high", "officer_rationale": "Seen at the refuge"},
               narrative="Victim now at 4 Saxifrage Road.",
               people=[person("v", "victim", "Vera", "Victim", "1990-02-03", address=REFUGE),
                       person("p", "perpetrator", "Piotr", "Perp", "1988-05-06", address=HOME),
                       person("c", "child_present", "Cara", "Victim", "2022-07-08", address=REFUGE)]),
           live=True)
    for key, (agency, record_id, ref) in {"Q": ("housing", "TEN-Q", "q"), "M": ("housing", "TEN-M", "m"),
                                          "R": ("housing", "TEN-R", "r"), "S": ("housing", "TEN-S", "s"),
                                          "C": ("police", "DA-1", "c"), "V": ("police", "DA-1", "v"),
                                          "P": ("police", "DA-1", "p")}.items():
        world.people[key] = pid(agency, record_id, ref)
    Person.objects.filter(person_id=world.people["M"]).update(merged_into=Person.objects.get(
        person_id=world.people["Q"]))
    world.notifications["R"] = notify("housing", "TEN-R", to="health_visiting", team="north", level="full",
                                      subjects=[("r", world.people["R"])]).notification_id
    world.notifications["S"] = notify("housing", "TEN-S", to="school_nursing", level="health",
                                      subjects=[("s", world.people["S"])]).notification_id
    world.notifications["none"] = str(uuid.uuid4())
    world.grants["Q"] = breakglass.grant(User.objects.get(username="triage"), world.people["Q"],
                                         reason_code="missing_person",
                                         reason_text="Missing child enquiry needs the tenancy history now").pk
    return world


#: For each demo user, the people of the world they must not see (everyone but the auditor: Q, M, R; S too
#: unless they are the school nurse; the triage user holds a break-glass grant to Q).
def foreign_people(username: str) -> list[str]:
    if username == "auditor":
        return []
    out = ["Q", "M", "R", "S"]
    if username == "school-nurse":
        out.remove("S")
    if username == "triage":
        out = [k for k in out if k not in {"Q", "M"}]
    return out
