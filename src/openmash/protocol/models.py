"""What the protocol engine keeps: incident assessments, notifications, alerts, triage, and its indexes.

Only ``protocol.services`` writes these. Notifications and alerts are the outbox:
they are created in the same transaction as the record version that causes them.
"""

from __future__ import annotations

from django.db import models

from openmash.platform.encryption import SealedJSONField


class IncidentAssessment(models.Model):
    """The risk level, criteria and children involved worked out for one ``da_incident`` version (backfill too)."""

    version = models.OneToOneField("intake.RecordVersion", on_delete=models.CASCADE, related_name="assessment")
    record = models.ForeignKey("intake.Record", on_delete=models.CASCADE, related_name="assessments")
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    tool = models.CharField(max_length=32, help_text="The risk checklist, e.g. police_dash (2009, 27 questions).")
    tool_version = models.CharField(max_length=16)
    dash_yes = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=16)
    level_criteria = models.JSONField(default=list)
    #: A MARAC_REFERRAL notification stands for the incident after this version (§1.8 repeat MARAC).
    marac_notified = models.BooleanField(default=False)
    live = models.BooleanField(default=False)
    explanation = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["record", "seq"], name="assessment_record_seq")]

    def __str__(self) -> str:
        return f"{self.record} v{self.version_id}: {self.level}"


class IncidentChild(models.Model):
    """A child involved in one assessed incident version, by the mention that cites them."""

    assessment = models.ForeignKey(IncidentAssessment, on_delete=models.CASCADE, related_name="children")
    #: The citing mention: on the incident, or the one that gave a child found from history their address.
    mention = models.ForeignKey("intake.Mention", on_delete=models.CASCADE, related_name="+")
    person_id_then = models.CharField(max_length=32)
    found_from_history = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["mention"], name="incidentchild_mention")]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.person_id_then}"


class KnownAddress(models.Model):
    """Index: a household lookup key of a known address a version gives a person (Terms, "Known address")."""

    key = models.CharField(max_length=250)
    mention = models.ForeignKey("intake.Mention", on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "seq"], name="knownaddress_key")]

    def __str__(self) -> str:
        return self.key


class ConfidentialAddress(models.Model):
    """Index: an address some stored version marks confidential, under each of its building lookup keys."""

    key = models.CharField(max_length=250)
    #: Sealed at rest: the address's lines, postcode and UPRN are encrypted (docs/encryption.md).
    address = SealedJSONField()
    version = models.ForeignKey("intake.RecordVersion", on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["key"], name="confidential_key")]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """One notification to one recipient about one source record (contract §7)."""

    class Family(models.TextChoices):
        INCIDENT = "incident", "Incident routing (§2)"
        ESCALATION = "escalation", "Escalation (§6)"
        DISCLOSURE = "disclosure", "Confidential address disclosed (§4.6)"
        FEEDBACK = "feedback", "Decision feedback or challenge (§6)"

    notification_id = models.CharField(max_length=36, unique=True)
    family = models.CharField(max_length=16, choices=Family.choices, default=Family.INCIDENT)
    created_at = models.DateTimeField()
    due_by = models.DateTimeField()
    priority = models.CharField(max_length=20)
    recipient_agency = models.CharField(max_length=32)
    recipient_team = models.CharField(max_length=200, null=True, blank=True)
    reasons = models.JSONField(default=list)
    #: The source record (its identity is also kept as text: the export's ``source``).
    record = models.ForeignKey("intake.Record", on_delete=models.PROTECT, related_name="notifications")
    source_agency = models.CharField(max_length=32)
    source_record_id = models.CharField(max_length=64)
    source_version = models.PositiveBigIntegerField()
    subjects = models.JSONField(default=list)
    content_level = models.CharField(max_length=16)
    #: Sealed at rest: narrative, the children's words and confidential addresses are encrypted.
    content = SealedJSONField(default=dict)
    amended_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    read_before_school_today = models.BooleanField(null=True, blank=True)
    #: §2.6 compares this: reasons, subjects, priority and what the content level and §4 permit.
    signature = models.JSONField(default=dict)
    #: Who sees the content and what redaction knew, so it can be redacted again (§4.6).
    audience = SealedJSONField(default=dict)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    #: Grows on every change sent (created, amended, withdrawn, re-rendered): one delivery per revision.
    revision = models.PositiveIntegerField(default=1)
    escalation_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["record", "family"], name="notification_source"),
            models.Index(fields=["created_at", "notification_id"], name="notification_order"),
            models.Index(fields=["recipient_agency", "recipient_team"], name="notification_recipient"),
            models.Index(fields=["acknowledged_at", "due_by"], name="notification_open"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_agency}/{self.recipient_team or '-'} {','.join(self.reasons)}"


class Alert(models.Model):
    """An alert of §5, raised once per qualifying event."""

    alert_id = models.CharField(max_length=36, unique=True)
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    person_id_then = models.CharField(max_length=32)
    recipient_agency = models.CharField(max_length=32)
    recipient_team = models.CharField(max_length=200, null=True, blank=True)
    evidence = models.JSONField(default=list)
    note = models.TextField(null=True, blank=True)
    source_version = models.ForeignKey("intake.RecordVersion", on_delete=models.PROTECT, related_name="+")
    #: "Once per": the person, record identity and household the alert was raised for.
    once_person = models.CharField(max_length=32, blank=True)
    once_record = models.CharField(max_length=100, blank=True)
    once_household = SealedJSONField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    #: ``[agency, record_id, ref]`` of a mention of the alert's person: its person_id at export time.
    resolve_from = models.JSONField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "once_person"], name="alert_once_person"),
            models.Index(fields=["kind", "once_record"], name="alert_once_record"),
            models.Index(fields=["created_at", "alert_id"], name="alert_order"),
            #: A person's alerts: the access layer's alert relationship and the person page read by person.
            models.Index(fields=["person_id_then", "created_at"], name="alert_person"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_id_then}"


class TriageItem(models.Model):
    """An incident with a child involved on the front-door queue (§6)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DECIDED = "decided", "Decided"

    record = models.OneToOneField("intake.Record", on_delete=models.CASCADE, related_name="triage")
    assessment = models.ForeignKey(IncidentAssessment, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=16)
    level_rank = models.PositiveSmallIntegerField(help_text="0 = high, 1 = medium, 2 = standard (queue order).")
    youngest_age = models.PositiveSmallIntegerField(help_text="Youngest child involved; unknown counts as 0.")
    recorded_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    decision = models.CharField(max_length=16, blank=True)
    rationale = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "level_rank", "youngest_age", "recorded_at"], name="triage_queue")]

    def __str__(self) -> str:
        return f"{self.record} ({self.level})"


class DisclosureLog(models.Model):
    """§4.6: an earlier delivery that held an address before it was known to be confidential."""

    notification = models.ForeignKey(Notification, on_delete=models.PROTECT, related_name="disclosures")
    confidential_version = models.ForeignKey("intake.RecordVersion", on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.notification_id} disclosed before {self.confidential_version_id}"


class Endpoint(models.Model):
    """A team's push channel besides the in-app inbox: e-mail, or a signed webhook into its own system."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail (no personal data: a prompt to sign in)"
        WEBHOOK = "webhook", "Signed webhook (HMAC-SHA256)"

    agency = models.CharField(max_length=32)
    #: The recipient team it serves; blank serves every team of the agency.
    team = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    address = models.CharField(max_length=500, help_text="E-mail address or https URL.")
    secret = models.CharField(max_length=200, blank=True, help_text="Webhook signing key (HMAC-SHA256).")
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "team", "active"], name="endpoint_recipient")]

    def __str__(self) -> str:
        return f"{self.agency}/{self.team or '*'} {self.channel}"


class Delivery(models.Model):
    """One revision of one notification on one channel. Never sent twice: the idempotency key is unique."""

    class Channel(models.TextChoices):
        INBOX = "inbox", "In-app inbox"
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after every retry"

    notification = models.ForeignKey(Notification, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    revision = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return self.idempotency_key


class DeliveryAttempt(models.Model):
    """Every attempt is recorded, successful or not."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M}: {'ok' if self.ok else 'failed'}"


class LinkWatermark(models.Model):
    """The last identity ``LinkEvent`` the protocol has followed (merges and splits re-assess incidents)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"followed link events up to {self.last_event}"
