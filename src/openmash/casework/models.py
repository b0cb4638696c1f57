"""What people add to the hub's work: threshold decisions, challenges, responses, allocations.

Only ``casework.services`` writes these. Notifications are the protocol's; the feedback and
challenge notifications a decision causes are created in the same transaction as the row here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from openmash.platform.encryption import EncryptedTextField


class Outcome(models.TextChoices):
    """The ``csc_contact`` outcome codes a threshold decision uses (protocol §6)."""

    REFERRAL = "referral", _("Referral to children's social care")
    EARLY_HELP = "early_help", _("Early help")
    NFA = "nfa", _("No further action")
    ADVICE = "advice", _("Advice and information")


class ThresholdDecision(models.Model):
    """A front-door decision on a queued incident; the latest one for a record stands."""

    record = models.ForeignKey("intake.Record", on_delete=models.PROTECT, related_name="threshold_decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    rationale = EncryptedTextField()  # free text about a child: encrypted at rest
    decided_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150)
    decided_by_team = models.CharField(max_length=200, blank=True)
    #: ``agency/team code`` of the deciding team (its managers may resolve a challenge of the decision).
    decided_in = models.CharField(max_length=250, blank=True)
    #: The DECISION_FEEDBACK notification sent to the referring agency.
    feedback = models.OneToOneField("protocol.Notification", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="decision")
    #: A decision revised after a challenge points at the one it replaces.
    revises = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="revised_by")

    class Meta:
        indexes = [models.Index(fields=["record", "decided_at"], name="decision_record")]

    def __str__(self) -> str:
        return f"{self.record}: {self.outcome}"


class Challenge(models.Model):
    """The referring agency disagrees with a decision it was sent; it lands with the front-door manager."""

    decision = models.ForeignKey(ThresholdDecision, on_delete=models.PROTECT, related_name="challenges")
    reason = EncryptedTextField()
    raised_at = models.DateTimeField()
    raised_by = models.CharField(max_length=150)
    raised_by_agency = models.CharField(max_length=32)
    #: The CHALLENGE notification to the front-door manager.
    notification = models.OneToOneField("protocol.Notification", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="challenge")
    #: How the manager resolved it (blank while open): who, when and why.
    resolution = models.CharField(max_length=16, blank=True, choices=[("upheld", _("Decision upheld")),
                                                                      ("revised", _("Decision revised"))])
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_by_team = models.CharField(max_length=200, blank=True)
    #: The reply to the referrer (upheld) or the new decision's rationale (revised).
    response = EncryptedTextField(blank=True)
    #: The new decision, when revised (its DECISION_FEEDBACK tells the referrer).
    revision = models.OneToOneField(ThresholdDecision, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="resolves")
    #: The CHALLENGE_OUTCOME notification to the referrer, when upheld.
    outcome_notification = models.OneToOneField("protocol.Notification", null=True, blank=True,
                                                on_delete=models.PROTECT, related_name="challenge_outcome")

    def __str__(self) -> str:
        return f"challenge of {self.decision_id}"

    @property
    def is_open(self) -> bool:
        return not self.resolution


class Response(models.Model):
    """Information a recipient adds in answer to a notification; it appears on its subjects' chronologies."""

    notification = models.ForeignKey("protocol.Notification", on_delete=models.PROTECT, related_name="responses")
    text = EncryptedTextField()
    created_at = models.DateTimeField()
    author = models.CharField(max_length=150)
    author_agency = models.CharField(max_length=32)
    author_team = models.CharField(max_length=200, blank=True)
    #: The people it is about: the notification's subjects, by the mention that cites them.
    about = models.ManyToManyField("intake.Mention", related_name="responses")

    class Meta:
        indexes = [models.Index(fields=["notification", "created_at"], name="response_notification")]

    def __str__(self) -> str:
        return f"response to {self.notification_id} by {self.author}"


class Allocation(models.Model):
    """Who is working a queued incident: claimed by a triage officer or assigned by a manager."""

    record = models.OneToOneField("intake.Record", on_delete=models.CASCADE, related_name="allocation")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations")
    assigned_by = models.CharField(max_length=150)
    assigned_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.record} → {self.assignee_id}"
