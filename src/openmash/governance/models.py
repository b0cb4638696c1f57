"""Information governance rows: break-glass grants, governance messages (no personal data), SAR packs, searches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BreakGlassReason(models.TextChoices):
    IMMINENT_RISK = "imminent_risk", _("Imminent risk of serious harm to a child or adult")
    OUT_OF_HOURS = "out_of_hours", _("Out-of-hours emergency: the responsible team cannot be reached")
    MISSING_PERSON = "missing_person", _("Missing person enquiry")
    COURT_OR_STATUTORY = "court_or_statutory", _("Court order or statutory duty requires it now")
    NOTIFICATION_NOT_YET_RECEIVED = "notification_pending", _("Referral in progress: notification not yet received")


class BreakGlassGrant(models.Model):
    """Emergency access of one user to one person, for a limited time, to be reviewed by the IG lead."""

    class Outcome(models.TextChoices):
        JUSTIFIED = "justified", _("Justified")
        NOT_JUSTIFIED = "not_justified", _("Not justified: referred for follow-up")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants")
    #: Copied at grant time: the trail must show who and which team even if the user moves.
    username = models.CharField(max_length=150)
    agency = models.CharField(max_length=32)
    team = models.CharField(max_length=128, blank=True)
    person_id = models.CharField(max_length=64)
    reason_code = models.CharField(max_length=32, choices=BreakGlassReason.choices)
    reason_text = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    review_note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "person_id", "expires_at"], name="breakglass_live"),
            models.Index(fields=["reviewed_at", "granted_at"], name="breakglass_review"),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}"


class GovernanceMessage(models.Model):
    """A message to one user about an IG event. It carries a reference, never personal data (SCR alert model)."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", _("Break-glass access used")
        BREAK_GLASS_UNREVIEWED = "break_glass_unreviewed", _("Break-glass access not reviewed in time")
        SAR_AWAITING_APPROVAL = "sar_awaiting_approval", _("Subject access pack awaiting approval")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="governance_messages")
    created_at = models.DateTimeField()
    #: e.g. "break-glass 12": a reference the recipient opens in the review queue, with access checks there.
    reference = models.CharField(max_length=64)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "read_at"], name="govmessage_inbox")]
        constraints = [models.UniqueConstraint(fields=["kind", "recipient", "reference"], name="govmessage_once")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.reference}"


class SubjectAccessRequest(models.Model):
    """A subject access pack: produced by one user, released only when a second, different user approves."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting approval")
        APPROVED = "approved", _("Approved for release")
        REJECTED = "rejected", _("Rejected")

    person_id = models.CharField(max_length=64)
    requester_reference = models.CharField(max_length=100, help_text="The request's own reference (no name).")
    received_on = models.DateField()
    produced_by = models.CharField(max_length=150)
    produced_at = models.DateTimeField()
    #: The pack as produced (already redacted); what is approved is exactly what is released.
    pack = models.JSONField(default=dict)
    pack_sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "produced_at"], name="sar_status")]

    def __str__(self) -> str:
        return f"SAR {self.pk} ({self.status})"
