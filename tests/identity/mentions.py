"""Build person-in-record features for identity tests without a database."""

from __future__ import annotations

import itertools
from typing import Any

from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.intake.domain.record import Record

_ids = itertools.count(1)


def person(ref: str = "p1", role: str = "subject", **fields: Any) -> dict[str, Any]:
    return {"ref": ref, "role": role, **fields}


def record(*people: dict[str, Any], agency: str = "gp", record_id: str | None = None, kind: str = "gp_registration",
           occurred_at: str = "2024-03-01T10:00:00+00:00", version: int = 1, **extra: Any) -> Record:
    obj = {
        "schema": "openmash.record/1", "source": {"agency": agency}, "record_id": record_id or f"R{next(_ids):06d}",
        "version": version, "kind": kind, "occurred_at": occurred_at, "recorded_at": occurred_at,
        "people": list(people), **extra,
    }
    return Record.from_json(obj)


def features(*people: dict[str, Any], **kwargs: Any) -> list[MentionFeatures]:
    rec = record(*people, **kwargs)
    return [mention_features(rec, p) for p in rec.people if p.is_linkable]


def one(agency: str = "gp", **fields: Any) -> MentionFeatures:
    return features(person(**fields), agency=agency)[0]


HOME = {"lines": ["14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA"}
