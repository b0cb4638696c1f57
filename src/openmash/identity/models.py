"""The master person index: people, the links from each person-in-record, and how they came about.

``Person.person_id`` is the public id every export shows. A merge keeps the older
person's id and marks the other ``merged_into``; ids are never reused. The blocking
index lives here too (``BlockingKey``), so every web and worker process finds the
same candidates.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from openmash.identity.domain.features import FIELD_NAMES


class Person(models.Model):
    """One real human, as OpenMASH believes. Older = smaller primary key."""

    person_id = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed")

    def __str__(self) -> str:
        return self.person_id


class LinkMethod(models.TextChoices):
    NHS_NUMBER = "nhs_number", "Same valid NHS number"
    AGENCY_PERSON_ID = "agency_person_id", "Same agency person id"
    MODEL = "model", "Match model"
    NEW = "new", "No match: new person"
    REVIEW = "review", "Uncertain: new person, match under review"
    MANUAL = "manual", "Decided by a reviewer"
    REBUILD = "rebuild", "Batch rebuild"


@deconstructible(path="openmash.identity.models.CompactFeatures")
class CompactFeatures(models.Func):
    """A JSON features document's values as one JSON array, in the order ``fields`` names (a missing value as
    null): the SQL of the generated column ``MentionLink.compact``. Made of immutable operators only
    (PostgreSQL's ``jsonb_build_array`` is not), each value's JSON text as the database writes it."""

    output_field = models.TextField()

    def __init__(self, column: str, *, fields: tuple[str, ...]) -> None:
        super().__init__(models.F(column))
        self.fields = tuple(fields)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            values = [f"coalesce(({column} -> '{name}')::text, 'null')" for name in self.fields]
        else:
            values = [f"coalesce({column} -> '$.{name}', 'null')" for name in self.fields]
        # Only the column and the field names (identifiers of this module) are interpolated.
        return "('[' || " + " || ',' || ".join(values) + " || ']')", list(params)


class MentionLink(models.Model):
    """Which person a person-in-record is, with the evidence. One per linked mention."""

    mention = models.OneToOneField("intake.Mention", on_delete=models.CASCADE, related_name="link")
    #: Indexed by ``mentionlink_person``; not twice.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="links", db_index=False)
    probability = models.FloatField()
    method = models.CharField(max_length=32, choices=LinkMethod.choices)
    explanation = models.JSONField(default=dict)
    #: ``domain.features.MentionFeatures`` as JSON: what the scorer compares, normalised once.
    features = models.JSONField()
    #: The same features as a JSON array of their values (``MentionFeatures.from_values``), written by the database
    #: whenever ``features`` is: what the candidate read of the real-time stage takes, half the text to return
    #: and to parse, no key names.
    compact = models.GeneratedField(expression=CompactFeatures("features", fields=FIELD_NAMES),
                                    output_field=models.TextField(), db_persist=True)
    model_version = models.CharField(max_length=64, blank=True)
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["person"], name="mentionlink_person")]

    def __str__(self) -> str:
        return f"{self.mention_id} → {self.person_id}"


class BlockingKey(models.Model):
    """One blocking key held by one person (``domain.blocking``): the candidate index.

    ``key`` is the key's keyed 64-bit hash (``blocking_index.stored_key``), never its text. The primary key is
    ``(key, person)``: one key's holders sit together in one B-tree leaf page, read by an index-only scan.
    """

    pk = models.CompositePrimaryKey("key", "person")
    key = models.BigIntegerField()
    #: Indexed by ``blockingkey_person`` (merges and rekeys read a person's keys); not twice.
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="blocking_keys", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["person"], name="blockingkey_person")]

    def __str__(self) -> str:
        return f"{self.key:016x}"


class BlockingIndex(models.Model):
    """The fingerprint of the secret the blocking keys were hashed under (one row: ``blocking_index.check_secret``)."""

    fingerprint = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.fingerprint


class LinkageModel(models.Model):
    """A trained (or default) scoring model, versioned; the newest active one is used by every process."""

    version = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)
    #: ``domain.scoring.LinkageModel.to_json()``.
    params = models.JSONField()

    def __str__(self) -> str:
        return self.version


class MatchReview(models.Model):
    """An uncertain match: the mention started its own person; a reviewer decides whether to join them."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Same person: merged"
        KEPT_APART = "kept_apart", "Different people"

    mention = models.ForeignKey("intake.Mention", on_delete=models.CASCADE, related_name="match_reviews")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    explanation = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="matchreview_open")]

    def __str__(self) -> str:
        return f"review {self.pk}: {self.person_id} ~ {self.candidate_id}"


class LinkEvent(models.Model):
    """A merge or split, with what moved, so that it can be explained and undone."""

    class Kind(models.TextChoices):
        MERGE = "merge", "Merge"
        SPLIT = "split", "Split (undo of a merge)"
        UNLINK = "unlink", "Mention left linking (withdrawn or no longer named)"
        RELINK = "relink", "Mention moved: its record's new version fits another person (absorbed → keep)"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=150)
    keep = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    #: Primary keys of the ``intake.Mention`` rows that moved.
    mentions = models.JSONField(default=list)
    evidence = models.JSONField(default=dict)
    undoes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by")

    class Meta:
        indexes = [models.Index(fields=["kind", "created_at"], name="linkevent_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class Residence(models.Model):
    """Who lived where, from which record, from when to when (``queries.household_of``)."""

    #: The person is the mention's linked person (``mention.link.person``), so merges need no update here.
    mention = models.OneToOneField("intake.Mention", on_delete=models.CASCADE, related_name="residence")
    #: ``services.residence_key``: building line + postcode, else UPRN, else building line + town.
    household_key = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10, blank=True)
    confidential = models.BooleanField(default=False)
    #: Local dates the record says the person lived there: its occurred date, to its end (or open).
    since = models.DateField()
    until = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["household_key", "since"], name="residence_household")]

    def __str__(self) -> str:
        return f"{self.mention_id} at {self.household_key}"
