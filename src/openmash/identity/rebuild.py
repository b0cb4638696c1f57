"""Batch work on the person index: train a model from stored mentions, relink everything.

A rebuild replays every current record version in processing order through the same
linker as real time (in memory, then written in bulk), so batch and live agree. People
keep their ids where they can: each new cluster takes the oldest existing id among its
mentions that no larger cluster has claimed; an id left without mentions is marked
merged into the cluster that took most of them, so old ids still resolve.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from rich.progress import Progress

from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.clustering import merge_conflict
from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import InMemoryStore, MentionKey, link_record
from openmash.identity.domain.scoring import LinkageModel as ScoringModel
from openmash.identity.models import BlockingKey, LinkageModel, LinkMethod, MentionLink, Person
from openmash.identity.services import active_model, save_model
from openmash.intake.domain.record import Record
from openmash.intake.models import Mention, RecordVersion
from openmash.platform.audit import Actor, record_event


def _current_versions() -> Iterator[tuple[RecordVersion, Record]]:
    """Each record's current version, in processing order (as real time saw them)."""
    versions = (RecordVersion.objects.filter(record__current_id=F("pk"), withdrawn=False)
                .order_by("seq", "pk").only("pk", "data", "seq"))
    for version in versions.iterator(chunk_size=2000):
        yield version, version.as_domain()


def stored_features() -> list[MentionFeatures]:
    """Features of every current, linkable person-in-record (for training)."""
    active = set(Mention.objects.filter(active=True, record__withdrawn=False).values_list("record__agency", "record__record_id", "ref"))
    out: list[MentionFeatures] = []
    for _, record in _current_versions():
        for person in record.people:
            if person.is_linkable and (record.agency, record.record_id, person.ref) in active:
                out.append(mention_features(record, person))
    return out


def train_and_save(*, version: str | None, max_pairs: float, actor: Actor, progress: bool = False) -> LinkageModel:
    from openmash.identity.training import train_model

    features = stored_features()
    if len(features) < 10:
        raise ValueError("too few stored mentions to train on")
    name = version or f"trained-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
    model = train_model(features, base=active_model(), version=name, max_pairs=max_pairs)
    return save_model(model, actor=actor)


def _memory_clusters(model: ScoringModel, mention_pk: dict[MentionKey, int], progress: bool) -> _Clusters:
    store = InMemoryStore()
    total = RecordVersion.objects.filter(record__current_id=F("pk"), withdrawn=False).count()
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("linking", total=total)
        for _, record in _current_versions():
            features = [mention_features(record, p) for p in record.people
                        if p.is_linkable and (record.agency, record.record_id, p.ref) in mention_pk]
            link_record(store, model, features)
            bar.advance(task)
    clusters: dict[str, list[MentionFeatures]] = {}
    for person, members in store.members.items():
        if members:
            clusters[person] = list(members.values())
    notes = {k: {"rebuild": d.method, **d.explanation} for k, d in store.decisions.items()}
    probability = {k: d.probability for k, d in store.decisions.items()}
    return _Clusters(clusters, notes, probability, len(store.merges), len(store.reviews))


def _splink_clusters(model: ScoringModel, mention_pk: dict[MentionKey, int], progress: bool) -> _Clusters:
    """Splink scores the candidate pairs; the same guards as real time decide which may join."""
    from openmash.identity.training import splink_scored_pairs

    features = [f for f in stored_features() if f.mention_key in mention_pk]
    with Progress(disable=not progress, transient=True) as bar:
        bar.add_task("scoring pairs with Splink", total=None)
        scored = splink_scored_pairs(features, model)
    strong: list[tuple[int, int, float]] = []
    for group in _strong_groups(features):
        strong.extend((group[0], other, 1.0) for other in group[1:])
    parent = list(range(len(features)))
    members: dict[int, list[MentionFeatures]] = {i: [f] for i, f in enumerate(features)}
    best: dict[int, float] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    merges = reviews = 0
    for i, j, p in strong + sorted(scored, key=lambda t: -t[2]):
        if p < model.link_at:
            reviews += 1
            continue
        a, b = root(i), root(j)
        if a == b or merge_conflict(members[a], members[b]) is not None:
            continue
        keep, absorb = min(a, b), max(a, b)
        parent[absorb] = keep
        members[keep].extend(members.pop(absorb))
        best[i], best[j] = max(best.get(i, 0.0), p), max(best.get(j, 0.0), p)
        merges += 1
    clusters = {str(r): m for r, m in members.items()}
    notes = {f.mention_key: {"rebuild": "splink", "best_pair_probability": best.get(i)} for i, f in enumerate(features)}
    probability = {f.mention_key: best.get(i, 1.0) for i, f in enumerate(features)}
    return _Clusters(clusters, notes, probability, merges, reviews)


def _strong_groups(features: list[MentionFeatures]) -> list[list[int]]:
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, f in enumerate(features):
        if f.nhs:
            groups.setdefault(("N", f.nhs), []).append(i)
        if f.agency_person_id:
            groups.setdefault(("A", f.agency, f.agency_person_id), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def rebuild_links(*, actor: Actor, engine: str = "memory", progress: bool = False) -> dict[str, int]:
    """Relink every current person-in-record from scratch; returns counts.

    ``memory`` replays the real-time linker in processing order; ``splink`` scores candidate pairs
    with Splink on DuckDB and joins them under the same guards, strongest first.
    """
    model = active_model()
    mention_pk = {
        (agency, record_id, ref): pk
        for pk, agency, record_id, ref in Mention.objects.filter(active=True, record__withdrawn=False)
        .exclude(role="professional").values_list("pk", "record__agency", "record__record_id", "ref")
    }
    built = (_splink_clusters if engine == "splink" else _memory_clusters)(model, mention_pk, progress)
    clusters = {c: [f.mention_key for f in members] for c, members in built.clusters.items()}
    features_of = {f.mention_key: f for members in built.clusters.values() for f in members}
    old_person = dict(MentionLink.objects.values_list("mention_id", "person_id"))
    with transaction.atomic():
        claimed: set[int] = set()
        assignment: dict[str, int] = {}
        for cluster, keys in sorted(clusters.items(), key=lambda c: (-len(c[1]), c[0])):
            olds = sorted({old_person[mention_pk[k]] for k in keys if mention_pk[k] in old_person} - claimed)
            if olds:
                assignment[cluster] = olds[0]
                claimed.add(olds[0])
            else:
                created = Person.objects.create(person_id=f"tmp-{cluster}")
                Person.objects.filter(pk=created.pk).update(person_id=f"P{created.pk:07d}")
                assignment[cluster] = created.pk
                claimed.add(created.pk)
        MentionLink.objects.all().delete()
        BlockingKey.objects.all().delete()
        links = [
            MentionLink(mention_id=mention_pk[key], person_id=assignment[cluster], method=LinkMethod.REBUILD,
                        probability=built.probability.get(key) or 1.0, explanation=built.notes.get(key, {"rebuild": "kept"}),
                        features=features_of[key].to_json(), model_version=model.version)
            for cluster, keys in clusters.items() for key in keys
        ]
        MentionLink.objects.bulk_create(links, batch_size=2000)
        held = {(k, assignment[c]) for c, keys in clusters.items() for m in keys for k in blocking_keys(features_of[m])}
        BlockingKey.objects.bulk_create([BlockingKey(key=k, person_id=p) for k, p in held], batch_size=5000,
                                        ignore_conflicts=True)
        Person.objects.filter(pk__in=claimed).update(merged_into=None)
        new_person = {mention_pk[k]: assignment[c] for c, keys in clusters.items() for k in keys}
        orphaned: dict[int, Counter[int]] = {}
        for mention, was in old_person.items():
            if was not in claimed and mention in new_person:
                orphaned.setdefault(was, Counter())[new_person[mention]] += 1
        for was, into in orphaned.items():
            Person.objects.filter(pk=was).update(merged_into_id=into.most_common(1)[0][0])
        summary = {"mentions": len(links), "people": len(clusters), "merges": built.merges,
                   "reviews": built.reviews, "ids_retired": len(orphaned)}
        record_event(actor=actor, action="identity.rebuild", object_type="person_index", object_id=model.version,
                     purpose="linkage", details={"engine": engine, **summary})
    return summary


@dataclass
class _Clusters:
    clusters: dict[str, list[MentionFeatures]]
    notes: dict[MentionKey, dict[str, Any]]
    probability: dict[MentionKey, float]
    merges: int
    reviews: int
