"""The batch rebuild's writing (``identity.rebuild``), on the database: what it writes, and the tables left as
they were (every index and constraint made again, the constraints validated)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from openmash.identity import batch, rebuild
from openmash.identity.blocking_index import stored_keys
from openmash.identity.domain.blocking import blocking_keys
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.models import BlockingKey, MentionLink, Person
from openmash.intake.models import Mention
from openmash.intake.services import ingest_files
from openmash.platform.audit import Actor
from tests.intake.records import record, write_feed

pytestmark = pytest.mark.django_db


def _backfill(tmp_path, settings) -> None:
    """Twelve records of six people, stored with the identity stage off (no links yet)."""
    settings.OPENMASH_PIPELINE_STAGES = []
    names = [("Małgorzata", "Szymańska", "1978-06-07"), ("Zenon", "Kowal", "1950-01-01"), ("Ann", "Smith", "1990-01-01"),
             ("Bill", "Jones", "1985-03-04"), ("Kasia", "Nowak", "2001-11-12"), ("Olek", "Lis", "1999-09-09")]
    records = [record(f"POL-{n}{copy}", recorded_at=f"2024-12-0{copy + 3}T02:30:00Z",
                      people=[{"ref": "p1", "role": "subject", "given_names": given, "family_name": family,
                               "date_of_birth": dob, "address": {"lines": [f"{n + 1} Mill Lane"], "town": "Boston",
                                                                 "postcode": "PE21 8AA"}}])
               for n, (given, family, dob) in enumerate(names) for copy in range(2)]
    ingest_files([write_feed(tmp_path / "feed.jsonl", records)], backfill=True)


def _shape(table: str) -> list[str]:
    """The table's constraints (with whether each is validated) and indexes, as the database describes them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT conname || ' ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' "
                           "ELSE ' NOT VALID' END FROM pg_constraint WHERE conrelid = %s::regclass "
                           "UNION ALL SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table, table])
        else:
            cursor.execute("SELECT coalesce(sql, name) FROM sqlite_master WHERE tbl_name = %s", [table])
        return sorted(row[0] for row in cursor.fetchall())


def test_a_rebuild_from_nothing_writes_every_link_and_key_and_leaves_the_tables_as_they_were(
        tmp_path, settings, monkeypatch):
    _backfill(tmp_path, settings)
    tables = [MentionLink._meta.db_table, BlockingKey._meta.db_table]
    shape = {table: _shape(table) for table in tables}
    monkeypatch.setattr(batch, "HASH_IN_WORKERS_FROM", 0)  # the keys hashed by worker processes, as at scale
    summary = rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    assert (summary["links_written"], summary["people"], summary["keys_rebuilt_in_bulk"]) == (12, 6, True)
    assert {table: _shape(table) for table in tables} == shape
    assert set(MentionLink.objects.values_list("mention_id", flat=True)) == set(Mention.objects.values_list("pk", flat=True))
    expected: dict[int, set[str]] = {}
    for person, features in MentionLink.objects.values_list("person_id", "features"):
        expected.setdefault(person, set()).update(blocking_keys(MentionFeatures.from_json(features)))
    held: dict[int, set[int]] = {}
    for key, person in BlockingKey.objects.values_list("key", "person_id"):
        held.setdefault(person, set()).add(key)
    assert held == {person: set(stored_keys(keys)) for person, keys in expected.items()}
    assert BlockingKey.objects.count() == sum(map(len, held.values()))


def test_a_rebuild_gives_new_people_the_next_keys_with_their_public_ids_and_the_next_person_a_key_after_them(
        tmp_path, settings):
    _backfill(tmp_path, settings)
    before = Person.objects.create(person_id="P-before")
    rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    made = sorted(Person.objects.exclude(pk=before.pk).values_list("pk", "person_id"))
    assert [pk for pk, _ in made] == list(range(before.pk + 1, before.pk + 7))
    assert [public for _, public in made] == [f"P{pk:07d}" for pk, _ in made]
    assert set(MentionLink.objects.values_list("person_id", flat=True)) == {pk for pk, _ in made}
    after = Person.objects.create(person_id="P-after")
    assert after.pk > made[-1][0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's table files")
def test_rewriting_every_key_leaves_no_old_key_row_in_the_table(tmp_path, settings):
    _backfill(tmp_path, settings)
    rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    people = list(Person.objects.values_list("pk", flat=True))
    rows = [(f"key {n}", person) for n in range(500) for person in people]

    def rewrite_all() -> int:
        rebuild._write_keys(lambda: rebuild.insert_key_rows(rows), set(people), bulk=True, stats={})
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_relation_size(%s)", [BlockingKey._meta.db_table])
            return int(cursor.fetchone()[0])

    size = rewrite_all()
    assert rewrite_all() == size  # the same rows again take the same space: no old row kept
    assert BlockingKey.objects.count() == len(rows)


@pytest.mark.parametrize("name", ["Małgorzata Szymańska", 'Ann "Nan" O\\Neil', "Tab\tLine\nFeed\r\x00\x1f\x7f",
                                  "\u2028\u2029\ufeff😀 名前", "lone \ud800 surrogate"])
def test_the_features_text_stored_on_a_link_is_json_dumps_compact_form_byte_for_byte(name):
    """A link's features text is made by orjson, as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
    made it: the stored texts of a rebuild do not change (a lone surrogate, which orjson refuses, by ``json``)."""
    features = MentionFeatures(
        agency="police", record_id=name, ref="p1", role="subject", given=(name, "ANN"), family=name, surnames=(name,),
        dob=None, birth_years=(1983, 1984), sex=None, nhs=None, agency_person_id=name, postcode="PE218AA",
        household=(), occurred="2024-12-03", confidential=True, town=None, building=name)
    assert rebuild._features_text(features, 123456789012) == json.dumps(
        {**features.to_json(), "rv": 123456789012}, ensure_ascii=False, separators=(",", ":"))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.integers(0, 30), st.floats(min_value=0.0, max_value=1.0)), st.sampled_from(["splink", "spark"]))
def test_a_batch_links_note_is_written_as_json_writes_the_note(best, engine):
    """Batch-linked mentions keep no note dict: each link's explanation is written from its best pair probability,
    the same text ``json`` makes of ``{"rebuild": engine, "best_pair_probability": p}`` (null, probability 1.0, when
    no pair joined it)."""
    people = rebuild._People([], [], [], [], [], best=best)
    explanation, probability = rebuild._link_notes(people, engine)
    for i in range(32):
        p = best.get(i)
        assert explanation(i) == json.dumps({"rebuild": engine, "best_pair_probability": p}, separators=(",", ":"))
        assert json.loads(explanation(i)) == {"rebuild": engine, "best_pair_probability": p}
        assert probability(i) == (1.0 if p is None else p)


def _as_postgresql_copies(text: str) -> str:
    """A value as PostgreSQL's COPY TO writes it in text format (``CopyAttributeOutText``)."""
    escapes = {"\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    return "".join(escapes.get(c, c) for c in text)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text())
def test_a_copy_line_is_read_back_as_the_values_postgresql_wrote(stored, person):
    line = "\t".join(["7", "3", _as_postgresql_copies(stored), _as_postgresql_copies(person), "police", "POL-1",
                      "\\N", "2024-12-05 01:00:00+00", "\\N"]) + "\n"
    assert rebuild._copy_rows(line.encode() * 2) == [(7, 3, stored, person, "police", "POL-1", None,
                                                      "2024-12-05 01:00:00+00", None)] * 2


def test_the_features_step_reads_every_row_as_a_cursor_reads_it(tmp_path, settings):
    """On PostgreSQL the rows arrive as COPY's text lines, split in the workers: names with tabs, newlines and
    backslashes must arrive as stored, in the cursor's order, and give the features of the records as parsed."""
    from openmash.identity.domain.features import mention_features
    from openmash.intake.domain.record import Record as ParsedRecord

    _backfill(tmp_path, settings)
    awkward = [("Tab\tName", "O\\Neil"), ("Line\nFeed", "Back\\\\slash \\N"), ("Ann", 'Quote"d\rCR')]
    ingest_files([write_feed(tmp_path / "awkward.jsonl", [
        record(f"POL-A{n}", people=[{"ref": "p1", "role": "subject", "given_names": given, "family_name": family}])
        for n, (given, family) in enumerate(awkward)])], backfill=True)
    parts = [(rebuild._copy_rows(part) if isinstance(part, bytes) else part, n) for part, n in rebuild._current_parts()]
    assert all(len(rows) == n for rows, n in parts)
    rows = [row for part, _ in parts for row in part]

    def instant(row):
        return (*row[:7], rebuild._instant(row[7]), *row[8:])

    assert [instant(row) for row in rows] == [instant(row) for row in rebuild._current_rows()]
    assert len(rows) == Mention.objects.count() == 15
    read = rebuild._current_features(None)
    expected = {}
    for mention in Mention.objects.select_related("record__current"):
        parsed = ParsedRecord.from_json(mention.record.current.data)
        expected[mention.pk] = mention_features(parsed, parsed.person(mention.ref))
    assert dict(zip(read.pks, read.features, strict=True)) == expected
