"""Subject access request packs: produced by one user, released only after a second, different user approves.

The pack holds, for one person (and every id merged into them), each current record naming them as
``domain.sar_rules.subject_view`` gives it, with every confidential address withheld whoever asks (the
protocol's ``redact``), plus the notifications that named them (to whom, when, why). The pack is frozen
at production (its SHA-256 kept): what is approved is exactly what is released.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from openmash.governance.breakglass import ig_leads
from openmash.governance.disclosure import context_for
from openmash.governance.domain.sar_rules import subject_view
from openmash.governance.models import GovernanceMessage, SubjectAccessRequest
from openmash.platform import access
from openmash.platform.audit import record_event
from openmash.platform.domain.access_rules import Role


class SarRefusedError(Exception):
    """The action breaks the two-person rule or the state of the request."""


def may_handle(user: Any) -> bool:
    """Producing and approving packs is for the partnership's information-governance leads."""
    from django.conf import settings

    viewer = access.viewer_for(user)
    return viewer.active and (Role.AUDITOR in viewer.roles
                              or viewer.username in (getattr(settings, "OPENMASH_IG_LEADS", []) or []))


def _withheld(item: dict[str, Any], person_ids: list[str]) -> dict[str, Any]:
    from openmash.protocol.domain.redaction import Audience, redact

    ctx = context_for(item, person_ids=person_ids)
    audience = Audience(agency="subject", content_level="full", barred=True, perpetrator_facing=False,
                        confidential=ctx.addresses)
    out, _ = redact(item, audience)
    return out


def build_pack(person_id: str) -> dict[str, Any]:
    from openmash.governance.relationships import aliases, subjects_naming
    from openmash.intake.models import Mention
    from openmash.protocol.models import Notification

    ids = sorted(aliases(person_id))
    items = []
    mentions = (Mention.objects.filter(link__person__person_id__in=ids, active=True, record__withdrawn=False,
                                       record__current__isnull=False)
                .select_related("record__current").order_by("version__occurred_at", "pk"))
    for mention in mentions:
        current = mention.record.current
        if current is None:
            continue
        view = subject_view(current.data, mention.ref)
        items.append(_withheld(view, ids))
    notifications = [
        {"to": n.recipient_agency, "created_at": n.created_at.isoformat(), "reasons": list(n.reasons),
         "acknowledged": n.acknowledged_at is not None}
        for n in Notification.objects.filter(subjects_naming(ids)).order_by("created_at", "pk")
    ]
    return {"person_id": person_id, "items": items, "notifications": notifications}


def produce(user: Any, person_id: str, *, requester_reference: str, received_on: Any,
            source_ip: str = "") -> SubjectAccessRequest:
    if not may_handle(user):
        raise PermissionDenied
    current = access.resolve_person(person_id)
    if current is None:
        raise access.NotFound()
    now = timezone.now()
    with transaction.atomic():
        pack = build_pack(current)
        digest = hashlib.sha256(json.dumps(pack, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        row = SubjectAccessRequest.objects.create(
            person_id=current, requester_reference=requester_reference.strip(), received_on=received_on,
            produced_by=user.username, produced_at=now, pack=pack, pack_sha256=digest)
        others = [u for u in ig_leads() if u.username != user.username]
        for recipient in others:
            GovernanceMessage.objects.get_or_create(kind=GovernanceMessage.Kind.SAR_AWAITING_APPROVAL,
                                                    recipient=recipient, reference=f"SAR {row.pk}",
                                                    defaults={"created_at": now})
        record_event(actor=access.actor_for(user, source_ip), action="sar.produce", object_type="person",
                     object_id=current, purpose="subject_access",
                     details={"sar": row.pk, "sha256": digest, "items": len(pack["items"])})
    return row


def decide(user: Any, sar_id: int, *, approve: bool, note: str = "", source_ip: str = "") -> SubjectAccessRequest:
    """The second person's decision. The producer can never approve their own pack."""
    if not may_handle(user):
        raise PermissionDenied
    with transaction.atomic():
        row = SubjectAccessRequest.objects.select_for_update().get(pk=sar_id)
        if row.status != SubjectAccessRequest.Status.DRAFT:
            raise SarRefusedError("decided")
        if row.produced_by == user.username:
            raise SarRefusedError("two_person_rule")
        row.status = SubjectAccessRequest.Status.APPROVED if approve else SubjectAccessRequest.Status.REJECTED
        row.decided_by, row.decided_at, row.decision_note = user.username, timezone.now(), note.strip()
        row.save()
        record_event(actor=access.actor_for(user, source_ip), action="sar.approve" if approve else "sar.reject",
                     object_type="person", object_id=row.person_id, purpose="subject_access",
                     details={"sar": row.pk, "sha256": row.pack_sha256, "produced_by": row.produced_by})
    return row


def release(user: Any, sar_id: int, *, source_ip: str = "") -> SubjectAccessRequest:
    """The approved pack, for printing or saving; every release is audited. Drafts are never released."""
    if not may_handle(user):
        raise PermissionDenied
    with transaction.atomic():
        row = SubjectAccessRequest.objects.get(pk=sar_id)
        if row.status != SubjectAccessRequest.Status.APPROVED:
            raise SarRefusedError("not_approved")
        record_event(actor=access.actor_for(user, source_ip), action="sar.release", object_type="person",
                     object_id=row.person_id, purpose="subject_access",
                     details={"sar": row.pk, "sha256": row.pack_sha256})
    return row
