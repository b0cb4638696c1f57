"""Records as received, with provenance and version history; quarantine; agency API tokens.

The shared data model (``Record``, ``RecordVersion``, ``Mention``, ``Quarantine``) is read by
identity and protocol; only ``intake.services`` writes it.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models
from django.utils import timezone

from openmash.intake.domain import record as domain
from openmash.intake.domain.record import AGENCIES, KINDS, ROLES
from openmash.platform.encryption import EncryptedBinaryField, EncryptedTextField, SealedJSONField


class Record(models.Model):
    """One record of one agency, identified by ``(agency, record_id)`` (contract §1); ``current`` is its
    highest stored version."""

    agency = models.CharField(max_length=32, choices=[(a, a) for a in AGENCIES])
    record_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, choices=[(k, k) for k in KINDS])
    current = models.ForeignKey("RecordVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    withdrawn = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "record_id"], name="record_unique_identity")]
        indexes = [models.Index(fields=["kind"], name="record_kind")]

    def __str__(self) -> str:
        return f"{self.agency}/{self.record_id}"


class RecordVersion(models.Model):
    """One stored version: the line (or API item) exactly as received, and what it says."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=32, choices=[(k, k) for k in KINDS])
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    #: Encrypted at rest (platform.encryption): whole, and in ``data`` the narrative, free text and
    #: confidential addresses. Both read back plain.
    raw = EncryptedTextField(help_text="The line or API item as received (UTF-8, byte order mark removed).")
    data = SealedJSONField(help_text="The parsed record; version as an integer.")
    content_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    source_file = models.CharField(max_length=500, help_text="The feed file as named to ingest, or api:<token>.")
    source_line = models.PositiveIntegerField(null=True, blank=True, help_text="1-based physical line, or API index.")
    #: The global processing order: every stage's "processed before" compares it. Null until processed.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    live = models.BooleanField(default=False)
    withdrawn = models.BooleanField(default=False)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "version"], name="version_unique_per_record")]
        indexes = [models.Index(fields=["recorded_at"], name="version_recorded_at")]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"

    def as_domain(self) -> domain.Record:
        return domain.Record.from_json(self.data)


class Mention(models.Model):
    """A person as named in a record (the unit identity links). ``data`` and ``role`` follow the latest
    version naming them; ``active`` is false once the latest version no longer does."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="mentions")
    ref = models.CharField(max_length=32)
    role = models.CharField(max_length=32, choices=[(r, r) for r in ROLES])
    data = SealedJSONField()  # a confidential address is encrypted at rest
    version = models.ForeignKey(RecordVersion, on_delete=models.PROTECT, related_name="mentions")
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "ref"], name="mention_unique_ref")]

    def __str__(self) -> str:
        return f"{self.record_id}:{self.ref}"

    def as_domain(self) -> domain.PersonMention:
        """The person as the contract's dataclass (date-of-birth trust judged on their version's date)."""
        return domain.person_from_json(self.data, self.version.occurred_at)


class Quarantine(models.Model):
    """A line that could not be understood, with every reason (contract §1). Nothing of it is stored elsewhere."""

    source_file = models.CharField(max_length=500)
    line = models.PositiveIntegerField(null=True, blank=True)
    agency = models.CharField(max_length=64, null=True, blank=True)
    record_id = models.CharField(max_length=64, null=True, blank=True)
    kind = models.CharField(max_length=64, null=True, blank=True)
    problems = models.JSONField(default=list)
    raw = EncryptedBinaryField()
    raw_sha256 = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    #: Whether the line came in live (not --backfill): a re-submission is processed the same way.
    live = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        # Re-reading the same file (a re-run after a crash) finds the row instead of adding another.
        constraints = [models.UniqueConstraint(fields=["source_file", "line", "raw_sha256"], name="quarantine_once")]
        indexes = [models.Index(fields=["resolved_at", "received_at"], name="quarantine_open")]
        verbose_name_plural = "quarantine"

    def __str__(self) -> str:
        return f"{self.source_file}:{self.line} {self.record_id or '(no id)'}"

    @property
    def raw_text(self) -> str:
        return bytes(self.raw).decode("utf-8", errors="replace")


class DataQualityTask(models.Model):
    """A front-door task about the data itself (contract §1): a quarantined line that may be safeguarding."""

    class Kind(models.TextChoices):
        QUARANTINED_SAFEGUARDING_RECORD = "QUARANTINED_SAFEGUARDING_RECORD", "Quarantined safeguarding record"

    kind = models.CharField(max_length=64, choices=Kind.choices)
    quarantine = models.OneToOneField(Quarantine, on_delete=models.PROTECT, related_name="task")
    #: The sending agency, where the line lets it be read: the task is reported to them.
    agency = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["closed_at", "due_at"], name="dq_task_open")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.quarantine})"


class ProcessingSequence(models.Model):
    """The last ``RecordVersion.seq`` handed out. Locked while ingesting, so seq order is commit order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"last seq {self.last}"


class AgencySystemToken(models.Model):
    """A bearer token issued to one agency's system for ``POST /api/v1/records``. Only its hash is stored."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="system_tokens")
    name = models.CharField(max_length=100, help_text="The system, e.g. 'niche' or 'mosaic'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agency.code}:{self.name}"

    @staticmethod
    def hash_key(key: str) -> str:
        # Keys are 256 random bits, so a plain digest resists guessing; a slow hash would only slow each request.
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, agency: Any, name: str) -> tuple[AgencySystemToken, str]:
        """Create a token; the plain key is returned once and never stored."""
        key = "omk_" + secrets.token_urlsafe(32)
        token = cls.objects.create(agency=agency, name=name, key_hash=cls.hash_key(key))
        return token, key
