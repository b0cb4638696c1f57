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
from typing import Any

from django.db import transaction
from django.db.models import F
from rich.progress import Progress

from openmash.identity.domain.features import MentionFeatures, mention_features
from openmash.identity.domain.linker import InMemoryStore, MentionKey, link_record
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


def rebuild_links(*, actor: Actor, progress: bool = False) -> dict[str, int]:
    """Relink every current person-in-record in processing order; returns counts."""
    model = active_model()
    mention_pk = {
        (agency, record_id, ref): pk
        for pk, agency, record_id, ref in Mention.objects.filter(active=True, record__withdrawn=False)
        .exclude(role="professional").values_list("pk", "record__agency", "record__record_id", "ref")
    }
    store = InMemoryStore()
    decisions: dict[MentionKey, Any] = {}
    total = RecordVersion.objects.filter(record__current_id=F("pk"), withdrawn=False).count()
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("linking", total=total)
        for _, record in _current_versions():
            features = [mention_features(record, p) for p in record.people
                        if p.is_linkable and (record.agency, record.record_id, p.ref) in mention_pk]
            decisions.update(link_record(store, model, features))
            bar.advance(task)
    clusters: dict[str, list[MentionKey]] = {}
    for key, person in store.link.items():
        clusters.setdefault(person, []).append(key)
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
        links = []
        for cluster, keys in clusters.items():
            for key in keys:
                decision = store.decisions.get(key) or decisions.get(key)
                found = store.members[cluster][key]
                links.append(MentionLink(
                    mention_id=mention_pk[key], person_id=assignment[cluster],
                    probability=decision.probability if decision else 1.0, method=LinkMethod.REBUILD,
                    explanation={"rebuild": decision.method if decision else "kept", **(decision.explanation if decision else {})},
                    features=found.to_json(), model_version=model.version,
                ))
        MentionLink.objects.bulk_create(links, batch_size=2000)
        BlockingKey.objects.bulk_create(
            [BlockingKey(key=k, person_id=assignment[c]) for c, keys in store.keys_of.items() if c in assignment for k in keys],
            batch_size=5000, ignore_conflicts=True,
        )
        Person.objects.filter(pk__in=claimed).update(merged_into=None)
        new_person = {mention_pk[k]: assignment[c] for c, keys in clusters.items() for k in keys}
        orphaned: dict[int, Counter[int]] = {}
        for mention, was in old_person.items():
            if was not in claimed and mention in new_person:
                orphaned.setdefault(was, Counter())[new_person[mention]] += 1
        for was, into in orphaned.items():
            Person.objects.filter(pk=was).update(merged_into_id=into.most_common(1)[0][0])
        summary = {"mentions": len(links), "people": len(clusters), "merges": len(store.merges),
                   "reviews": len(store.reviews), "ids_retired": len(orphaned)}
        record_event(actor=actor, action="identity.rebuild", object_type="person_index", object_id=model.version,
                     purpose="linkage", details=summary)
    return summary
