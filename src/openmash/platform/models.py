"""Platform rows: the append-only audit trail and its head."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(RuntimeError):
    """Audit rows cannot be changed or deleted through the application."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One audited action: who, in which role and team, did what to which object, why, when, from where."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=64, blank=True)
    team = models.CharField(max_length=128, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    source_ip = models.CharField(max_length=64, blank=True)
    break_glass = models.BooleanField(default=False)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["actor", "at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events are append-only")

    def chained_fields(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "actor": self.actor, "role": self.role, "team": self.team,
            "action": self.action, "object_type": self.object_type, "object_id": self.object_id,
            "purpose": self.purpose, "source_ip": self.source_ip, "break_glass": self.break_glass,
            "details": self.details,
        }


class AuditHead(models.Model):
    """The last written row of the trail; locked while appending so the chain has no gaps or forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit head at row {self.seq}"
