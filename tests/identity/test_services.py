"""The pipeline stage, the links export, explain and undo, on the database."""

from __future__ import annotations

import csv
import datetime as dt
import signal

import pytest
from django.core.management import call_command

from openmash.identity import blocking_index, queries, services
from openmash.identity.blocking_index import stored_key, stored_keys
from openmash.identity.exports import write_links_csv
from openmash.identity.models import BlockingKey, LinkEvent, MentionLink, Person
from openmash.intake.services import ingest_files
from tests.intake.records import record, write_feed

pytestmark = pytest.mark.django_db

STAGE = "openmash.identity.services.link_record_version"
HOME = {"lines": ["Flat 2, 14 Mill Lane"], "town": "Boston", "postcode": "PE21 8AA"}


@pytest.fixture(autouse=True)
def linking(settings):
    settings.OPENMASH_PIPELINE_STAGES = [STAGE]
    services.forget_cached_model()


def ingest(tmp_path, *records, live=False, name="feed.jsonl"):
    return ingest_files([write_feed(tmp_path / name, list(records))], backfill=not live)


def adult(**fields):
    return {"ref": "p1", "role": "subject", "given_names": "Małgorzata", "family_name": "Szymańska",
            "date_of_birth": "1978-06-07", "sex": "female", "address": HOME, **fields}


def test_the_same_woman_in_health_and_police_records_gets_one_person_id(tmp_path):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z",
                  people=[adult(role="victim", given_names="Gosia", family_name="SZYMANSKA")], kind="da_incident"))
    assert queries.person_id_of("gp", "GP-1", "p1") == queries.person_id_of("police", "POL-1", "p1")
    assert Person.objects.count() == 1


def test_professionals_are_not_linked_and_not_exported(tmp_path):
    ingest(tmp_path, record("POL-1", people=[adult(), {"ref": "o1", "role": "professional", "given_names": "PC"}]))
    out = tmp_path / "links.csv"
    assert write_links_csv(out) == 1
    raw = out.read_bytes()
    assert raw.startswith(b"agency,record_id,person_ref,person_id\r\n")
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    assert rows == [{"agency": "police", "record_id": "POL-1", "person_ref": "p1", "person_id": rows[0]["person_id"]}]


def test_a_withdrawn_record_leaves_linking_and_the_export(tmp_path):
    ingest(tmp_path, record("POL-1", people=[adult()]))
    ingest(tmp_path, record("POL-1", version=2, withdrawn=True, people=[adult()], recorded_at="2024-12-05T00:00:00Z"),
           name="withdraw.jsonl")
    assert not MentionLink.objects.exists()
    assert write_links_csv(tmp_path / "links.csv") == 0


def test_two_people_in_one_record_are_never_one_person(tmp_path):
    ingest(tmp_path, record("POL-1", people=[adult(), adult(ref="p2", role="other_adult")]))
    ids = queries.person_ids_of_record("police", "POL-1")
    assert ids["p1"] != ids["p2"]


def test_a_merge_keeps_the_older_id_and_undo_restores_the_other(tmp_path):
    ingest(tmp_path,
           record("POL-1", people=[adult(family_name="Nash", agency_person_id="PN7", nhs_number=None)]),
           record("GP-1", agency="gp", kind="gp_registration", recorded_at="2024-12-03T02:30:00Z",
                  people=[adult(family_name="Lawrence", nhs_number="9990000026", date_of_birth="1979-06-07")]))
    older, newer = queries.person_id_of("police", "POL-1", "p1"), queries.person_id_of("gp", "GP-1", "p1")
    assert older != newer
    ingest(tmp_path, record("POL-2", recorded_at="2024-12-04T02:30:00Z",
                            people=[adult(family_name="Nash", other_names=["Lawrence"], agency_person_id="PN7",
                                          nhs_number="9990000026")]), name="bridge.jsonl")
    assert queries.person_id_of("gp", "GP-1", "p1") == older
    assert queries.standing_person_ids([newer, older, "P9999999"]) == {newer: older, older: older}
    assert queries.merged_aliases([older])[older] == {older, newer}
    assert queries.merged_targets() == {newer: older}
    call_command("link", "undo")
    assert queries.person_id_of("gp", "GP-1", "p1") == newer
    assert LinkEvent.objects.filter(kind=LinkEvent.Kind.SPLIT).count() == 1
    assert BlockingKey.objects.filter(person__person_id=newer).exists()


def test_explain_names_the_fields_that_agreed(tmp_path, capsys):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Gosia")]))
    call_command("link", "explain", "police:POL-1:p1")
    out = capsys.readouterr().out
    assert "linked by: model" in out and "given" in out and "dob" in out


def test_household_of_a_child_at_a_date(tmp_path):
    child = {"ref": "c1", "role": "child_in_household", "given_names": "Ella", "family_name": "Nash",
             "date_of_birth": "2019-03-04", "address": HOME}
    ingest(tmp_path, record("POL-1", kind="da_incident", people=[adult(role="victim"), child]))
    child_id = queries.person_id_of("police", "POL-1", "c1")
    mother_id = queries.person_id_of("police", "POL-1", "p1")
    assert set(queries.household_of(child_id, dt.date(2024, 12, 10))) == {child_id, mother_id}
    assert queries.household_of(child_id, dt.date(2020, 1, 1)) == [child_id]


@pytest.mark.parametrize("engine", ["memory", "splink"])
def test_rebuild_keeps_person_ids(tmp_path, engine):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Gosia")]))
    before = queries.person_id_of("police", "POL-1", "p1")
    call_command("link", "rebuild", "--engine", engine)
    assert queries.person_id_of("police", "POL-1", "p1") == queries.person_id_of("gp", "GP-1", "p1") == before


def _backfill_unlinked(tmp_path, settings):
    """Three records stored with the identity stage off: two about one woman, one about a man."""
    settings.OPENMASH_PIPELINE_STAGES = []
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Gosia")]),
           record("POL-2", recorded_at="2024-12-04T02:30:00Z",
                  people=[adult(given_names="Zenon", family_name="Kowal", sex="male", date_of_birth="1950-01-01")]))


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError("the rebuild hung")


def test_a_batch_rebuild_links_a_backfill_and_a_second_rebuild_rewrites_nothing(tmp_path, settings):
    from openmash.identity import rebuild
    from openmash.identity.domain.blocking import blocking_keys
    from openmash.identity.domain.features import MentionFeatures
    from openmash.platform.audit import Actor

    _backfill_unlinked(tmp_path, settings)
    assert not MentionLink.objects.exists()
    # As in a fresh `openmash link rebuild` process: the index secret not yet checked. On PostgreSQL the check once
    # ran inside the key COPY and waited on it for ever; the alarm turns such a hang into a failure.
    blocking_index.forget_check()
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(300)
    try:
        first = rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    finally:
        signal.alarm(0)
    assert (first["links_written"], first["features_reused"]) == (3, 0)
    person = {link.mention.record.record_id: link.person_id
              for link in MentionLink.objects.select_related("mention__record")}
    assert person["GP-1"] == person["POL-1"] != person["POL-2"]
    # Links carry the features they were made from (and their version), and people hold their mentions' keys.
    expected: dict[int, set[str]] = {}
    for link in MentionLink.objects.select_related("mention"):
        assert link.features["rv"] == link.mention.version_id
        expected.setdefault(link.person_id, set()).update(blocking_keys(MentionFeatures.from_json(link.features)))
    held: dict[int, set[int]] = {}
    for key, owner in BlockingKey.objects.values_list("key", "person_id"):
        held.setdefault(owner, set()).add(key)
    assert held == {person: set(stored_keys(keys)) for person, keys in expected.items()}
    second = rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    assert (second["links_written"], second["features_reused"], second["key_rows_written"]) == (0, 3, 0)
    assert {link.mention.record.record_id: link.person_id
            for link in MentionLink.objects.select_related("mention__record")} == person


def test_a_household_is_one_address_whether_or_not_a_record_gave_its_uprn(tmp_path):
    with_uprn = {**HOME, "uprn": "100012345678"}
    child = {"ref": "c1", "role": "subject", "given_names": "Ella", "family_name": "Nash", "date_of_birth": "2019-03-04",
             "address": with_uprn, "nhs_number": "9990000034"}
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[child]),
           record("GP-2", agency="gp", kind="gp_registration", recorded_at="2024-12-03T02:30:00Z",
                  people=[adult(address={**HOME, "lines": ["Flat B", "14 Mill Ln"], "postcode": "pe218aa"})]))
    child_id, mother_id = queries.person_id_of("gp", "GP-1", "c1"), queries.person_id_of("gp", "GP-2", "p1")
    assert set(queries.household_of(child_id, dt.date(2024, 12, 10))) == {child_id, mother_id}


def _holders() -> dict[str, set[str]]:
    """Every blocking key (as text) a person is indexed under, with its holders, read from the stored index."""
    from collections import defaultdict

    from openmash.identity.domain.blocking import blocking_keys
    from openmash.identity.domain.features import MentionFeatures

    texts = {"X:JOHN|SMITH", "SY:SMITH|1980"}
    for features in MentionLink.objects.values_list("features", flat=True):
        texts |= blocking_keys(MentionFeatures.from_json(features))
    text_of = dict(zip(stored_keys(sorted(texts)), sorted(texts), strict=True))
    holders: dict[str, set[str]] = defaultdict(set)
    for key, person in BlockingKey.objects.values_list("key", "person_id"):
        holders[text_of[key]].add(str(person))
    return holders


def test_the_database_applies_the_candidate_rule_as_the_linker_does(tmp_path):
    from openmash.identity.domain.linker import SMALL_BLOCK, candidate_people
    from openmash.identity.services import DatabaseStore

    # A broad block: more people named Nash born in 1978 than SMALL_BLOCK, each at their own address.
    given = ["Ann", "Beth", "Cara", "Dora", "Edna", "Faye", "Gwen", "Hope", "Iris", "Joan", "Kate", "Lily", "Mary",
             "Nora", "Olga", "Pam", "Rose", "Sara", "Tess", "Una", "Vera", "Wynn", "Zoe", "Ada", "Bea", "Cleo", "Di",
             "Eve", "Flo", "Gail", "Hana", "Ivy", "Jo", "Kim", "Liv"]
    records = [record(f"GP-{i}", agency="gp", kind="gp_registration",
                      people=[adult(given_names=name, family_name="Nash", date_of_birth=f"1978-{1 + i % 12:02d}-{1 + i % 27:02d}",
                                    address={"lines": [f"{i + 1} Mill Lane"], "town": "Boston", "postcode": f"PE21 {i % 9 + 1}AA"})])
               for i, name in enumerate(given)]
    ingest(tmp_path, *records)
    holders = _holders()
    assert max(len(h) for h in holders.values()) > SMALL_BLOCK
    store = DatabaseStore({}, "")
    probes = [
        {"SY:NASH|1978"},  # one broad key alone: nobody
        {"SY:NASH|1978", "GY:ANN|1978"},  # a broad key and a narrow one
        {"SY:NASH|1978", "X:ANN|NASH", "BD:1978-02-02"},
        set(holders),  # every key held, at once
    ]
    for keys in probes:
        expected = candidate_people({k: holders[k] for k in keys if k in holders})
        assert set(store.candidate_mentions(keys)) == expected


def test_a_key_held_by_more_than_max_block_people_is_broad_however_many_hold_it(tmp_path):
    from openmash.identity.domain.linker import MAX_BLOCK, candidate_people
    from openmash.identity.services import DatabaseStore

    ingest(tmp_path, *[record(f"GP-{i}", agency="gp", kind="gp_registration",
                              people=[adult(given_names="John", family_name="Smith", sex="male",
                                            date_of_birth=f"1980-0{i + 1}-1{i}",
                                            address={"lines": [f"{i + 1} Mill Lane"], "town": "Boston",
                                                     "postcode": f"PE21 {i + 1}AA"})]) for i in range(3)])
    # National scale: many more John Smiths than MAX_BLOCK, and a broad block of Smiths born in 1980.
    extra = Person.objects.bulk_create([Person(person_id=f"PX{i:05d}") for i in range(MAX_BLOCK + 40)])
    BlockingKey.objects.bulk_create([BlockingKey(key=stored_key("X:JOHN|SMITH"), person=p) for p in extra])
    BlockingKey.objects.bulk_create([BlockingKey(key=stored_key("SY:SMITH|1980"), person=p) for p in extra[:40]])
    holders = _holders()
    assert len(holders["X:JOHN|SMITH"]) > MAX_BLOCK + 1
    store = DatabaseStore({}, "")
    linked = {str(p) for p in MentionLink.objects.values_list("person_id", flat=True)}
    for keys in ({"X:JOHN|SMITH"}, {"X:JOHN|SMITH", "SY:SMITH|1980"}, {"X:JOHN|SMITH", "GY:JOHN|1980"}, set(holders)):
        expected = candidate_people({k: holders[k] for k in keys}) & linked
        assert set(store.candidate_mentions(keys)) == expected
    # The huge key together with one broad key is not enough; with a narrow one it is.
    assert set(store.candidate_mentions({"X:JOHN|SMITH", "SY:SMITH|1980"})) == set()
    assert set(store.candidate_mentions({"X:JOHN|SMITH", "GY:JOHN|1980"})) == linked


def test_the_database_store_leaves_out_people_the_screen_refuses_before_decoding_them(tmp_path):
    from openmash.identity.domain.features import MentionFeatures
    from openmash.identity.domain.scoring import CandidateHead
    from openmash.identity.services import DatabaseStore

    # Four Nashes at one address: dates of birth, an estimated age instead of one, no sex, identifiers or not.
    people = [adult(given_names="Ann", family_name="Nash", nhs_number="9990000026"),
              adult(given_names="Beth", family_name="Nash", date_of_birth="1980-03-04", sex=None, agency_person_id="G7"),
              adult(given_names="Cara", family_name="Nash", date_of_birth=None, estimated_age=44),
              adult(given_names="Dora", family_name="Nash", date_of_birth="1979-01-02", sex="male")]
    ingest(tmp_path, *[record(f"GP-{i}", agency="gp", kind="gp_registration", people=[p]) for i, p in enumerate(people)])
    features = {str(p): MentionFeatures.from_json(f) for p, f in MentionLink.objects.values_list("person_id", "features")}
    keys = {"X:ANN|NASH", "X:BETH|NASH", "X:CARA|NASH", "X:DORA|NASH"}
    store = DatabaseStore({}, "")
    everyone = store.candidate_mentions(keys)
    assert everyone == {p: [f] for p, f in features.items()}

    # Each row's head, read before the features, is the features' own.
    heads: list[CandidateHead] = []
    assert store.candidate_mentions(keys, lambda head: heads.append(head) is None) == everyone
    assert len(heads) == 4
    assert set(heads) == {CandidateHead(f.agency, f.nhs, f.agency_person_id, f.dob, f.birth_years, f.sex, f.occurred)
                          for f in features.values()}
    assert any(h.birth_years is not None for h in heads) and any(h.sex is None for h in heads)

    # Only the people with a mention that passes are decoded and returned, in the order they came.
    kept = store.candidate_mentions(keys, lambda head: head.dob is None or head.nhs is not None)
    assert kept == {p: ms for p, ms in everyone.items() if ms[0].dob is None or ms[0].nhs is not None}
    assert len(kept) == 2
    assert store.candidate_mentions(keys, lambda head: False) == {}


def test_a_links_compact_column_holds_its_features_whoever_writes_them(tmp_path):
    import json

    from openmash.identity.domain.features import MentionFeatures

    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration",
                  people=[adult(nhs_number="9990000026", address={**HOME, "confidential": True})]),
           record("POL-1", people=[adult(given_names="Łukasz Jan", family_name="Wójcik-Nash", date_of_birth=None,
                                         estimated_age=44, sex=None, address=None)]))
    # Written outside the stage (an update, as a rebuild writes; features stored before the address's parts).
    last = MentionLink.objects.order_by("pk").last()
    assert last is not None
    older = {k: v for k, v in last.features.items() if k not in ("town", "building", "confidential")}
    MentionLink.objects.filter(pk=last.pk).update(features=older)
    rows = list(MentionLink.objects.order_by("pk").values_list("features", "compact"))
    read = [(MentionFeatures.from_json(f), MentionFeatures.from_values(json.loads(c))) for f, c in rows]
    assert [a for a, _ in read] == [b for _, b in read]
    assert [(f.confidential, f.town, f.birth_years, f.given) for f, _ in read] == [
        (True, "BOSTON", None, ("MALGORZATA",)), (False, None, (1979, 1980), ("LUKASZ", "JAN"))]


def test_a_new_version_whose_person_fits_someone_else_moves_and_undo_moves_it_back(tmp_path):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("GP-2", agency="gp", kind="gp_registration", recorded_at="2024-12-03T01:00:00Z",
                  people=[adult(given_names="Anna", family_name="Kowalska", date_of_birth="1990-02-03",
                                nhs_number="9990000034", address={"lines": ["3 Park Road"], "town": "Boston",
                                                                  "postcode": "PE21 9ZZ"})]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Gosia")]))
    first, second = queries.person_id_of("gp", "GP-1", "p1"), queries.person_id_of("gp", "GP-2", "p1")
    assert queries.person_id_of("police", "POL-1", "p1") == first
    # The police correct their record: the woman named was Anna Kowalska.
    ingest(tmp_path, record("POL-1", version=2, recorded_at="2024-12-04T09:00:00Z",
                            people=[adult(given_names="Anna", family_name="Kowalska", date_of_birth="1990-02-03",
                                          address={"lines": ["3 Park Road"], "town": "Boston", "postcode": "PE21 9ZZ"})]),
           name="correction.jsonl")
    assert queries.person_id_of("police", "POL-1", "p1") == second
    assert LinkEvent.objects.filter(kind=LinkEvent.Kind.RELINK).count() == 1
    assert not BlockingKey.objects.filter(person__person_id=first, key=stored_key("SD:KOWALSKA|1990-02-03")).exists()
    call_command("link", "undo")
    assert queries.person_id_of("police", "POL-1", "p1") == first


def test_a_new_version_with_a_typo_corrected_stays_with_its_person(tmp_path):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(family_name="Szymanska")]))
    person = queries.person_id_of("gp", "GP-1", "p1")
    ingest(tmp_path, record("POL-1", version=2, recorded_at="2024-12-04T09:00:00Z", people=[adult(given_names="Gosia")]),
           name="correction.jsonl")
    assert queries.person_id_of("police", "POL-1", "p1") == person
    assert not LinkEvent.objects.filter(kind=LinkEvent.Kind.RELINK).exists()


def test_withdrawing_the_only_record_that_bridged_a_merge_splits_it_again(tmp_path):
    ingest(tmp_path,
           record("POL-1", people=[adult(family_name="Nash", agency_person_id="PN7", nhs_number=None)]),
           record("GP-1", agency="gp", kind="gp_registration", recorded_at="2024-12-03T02:30:00Z",
                  people=[adult(family_name="Lawrence", nhs_number="9990000026", date_of_birth="1979-06-07")]))
    older, newer = queries.person_id_of("police", "POL-1", "p1"), queries.person_id_of("gp", "GP-1", "p1")
    bridge = adult(family_name="Nash", other_names=["Lawrence"], agency_person_id="PN7", nhs_number="9990000026")
    ingest(tmp_path, record("POL-2", recorded_at="2024-12-04T02:30:00Z", people=[bridge]), name="bridge.jsonl")
    assert queries.person_id_of("gp", "GP-1", "p1") == older
    ingest(tmp_path, record("POL-2", version=2, withdrawn=True, recorded_at="2024-12-05T02:30:00Z", people=[bridge]),
           name="withdraw.jsonl")
    assert queries.person_id_of("gp", "GP-1", "p1") == newer
    assert queries.person_id_of("police", "POL-1", "p1") == older
    split = LinkEvent.objects.get(kind=LinkEvent.Kind.SPLIT)
    assert split.evidence["reason"] == "the only record bridging them was withdrawn"


def test_after_the_index_secret_changes_rekey_rebuilds_the_index_and_matching_finds_people_again(tmp_path, settings):
    from openmash.identity import blocking_index, rebuild
    from openmash.platform.audit import Actor

    ingest(tmp_path, record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]))
    before = set(BlockingKey.objects.values_list("key", flat=True))
    settings.OPENMASH_INDEX_KEY = b"a new deployment secret"
    with pytest.raises(blocking_index.IndexSecretMismatchError):
        stored_key("X:GOSIA|SZYMANSKA")
    assert rebuild.rekey(actor=Actor.system("test")) == len(before)
    assert not before & set(BlockingKey.objects.values_list("key", flat=True))
    ingest(tmp_path, record("POL-1", people=[adult(given_names="Gosia")]), name="again.jsonl")
    assert queries.person_id_of("police", "POL-1", "p1") == queries.person_id_of("gp", "GP-1", "p1")
    blocking_index.forget_check()


def test_features_read_by_worker_processes_are_the_ones_read_here(tmp_path, settings, monkeypatch):
    """Large rebuilds read features in fresh worker processes (spawned: a forked child of a process that had run
    DuckDB's threads died in libc, and the rebuild waited for it for ever); they must give what this process gives."""
    import duckdb

    from openmash.identity import rebuild

    _backfill_unlinked(tmp_path, settings)
    duckdb.sql("SELECT sum(range) FROM range(2000000)").fetchall()  # threads run in this process first
    here = rebuild._current_features(None, table=True)
    monkeypatch.setattr(rebuild, "PARALLEL_FROM", 0)
    workers = rebuild._current_features(None, table=True)
    assert (workers.pks, workers.versions, workers.texts, workers.reused) == (here.pks, here.versions, here.texts,
                                                                             here.reused)
    assert workers.features == here.features
    assert workers.table().equals(here.table())


def test_a_rebuild_leaves_the_garbage_collector_as_it_found_it(tmp_path, settings, monkeypatch):
    """The features step pauses the cyclic collector while it reads and while each chunk's features are made; the
    rebuild must start it again, and must not start one that its caller had paused."""
    import gc

    from openmash.identity import rebuild
    from openmash.platform.audit import Actor

    _backfill_unlinked(tmp_path, settings)
    collecting = []
    features_of = rebuild.person_features
    monkeypatch.setattr(rebuild, "person_features",
                        lambda *args: collecting.append(gc.isenabled()) or features_of(*args))
    rebuild._current_features(None, table=True)  # a small set: the jobs run in this process
    assert collecting == [False, False, False]
    assert gc.isenabled()
    monkeypatch.setattr(rebuild, "PARALLEL_FROM", 0)
    rebuild._current_features(None, table=True)  # in worker processes, the collector paused here meanwhile
    assert gc.isenabled()
    with rebuild._no_cycle_collection():
        assert not gc.isenabled()
    gc.disable()
    try:
        with rebuild._no_cycle_collection():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    rebuild.rebuild_links(actor=Actor.system("test"), engine="splink")
    assert gc.isenabled()


def test_a_rebuild_reads_each_person_as_stored_and_gets_the_features_of_their_current_record(tmp_path, settings):
    """The rebuild reads each person as the mention stores it and four facts of its version, not the record whole:
    the features must be those of the current version's record, a tenancy's address for a person named without
    one, a confidential address, a doubtful date of birth, a later version's changes and withdrawals included."""
    from openmash.identity import rebuild
    from openmash.identity.domain.features import mention_features
    from openmash.intake.domain.record import Record as ParsedRecord
    from openmash.intake.models import Mention

    settings.OPENMASH_PIPELINE_STAGES = []
    hidden = {"lines": ["Refuge 1"], "town": "Lincoln", "postcode": "LN1 1AA", "confidential": True}
    tenancy = {"lines": ["7 Bridge Street"], "town": "Boston", "postcode": "PE21 9ZZ", "uprn": "100030000001"}
    ingest(tmp_path,
           record("HOU-1", agency="housing", kind="tenancy", address=tenancy, people=[
               adult(role="household_member", address=None),
               adult(ref="p2", role="household_member", given_names="Ola", date_of_birth="2031-01-01")]),
           record("POL-1", people=[adult(address=hidden), adult(ref="p2", role="professional", given_names="PC")]),
           record("POL-2", people=[adult(given_names="Zenon", family_name="Kowal", sex="male")]),
           record("POL-3", people=[adult(given_names="Ewa", estimated_age=40, date_of_birth=None)]))
    ingest(tmp_path,
           record("POL-2", version=2, recorded_at="2024-12-05T02:30:00Z", occurred_at="2024-12-05T01:00:00Z",
                  people=[adult(ref="p3", given_names="Zenek", family_name="Kowal", sex="male")]),
           record("POL-3", version=2, withdrawn=True, recorded_at="2024-12-05T02:30:00Z"), name="later.jsonl")

    expected = {}
    for mention in Mention.objects.filter(active=True, record__withdrawn=False).exclude(role="professional"):
        parsed = ParsedRecord.from_json(mention.record.current.data)
        person = parsed.person(mention.ref)
        assert person is not None
        expected[mention.pk] = mention_features(parsed, person)
    read = rebuild._current_features(None)
    assert dict(zip(read.pks, read.features, strict=True)) == expected
    assert len(expected) == 4
    by_ref = {(f.record_id, f.ref): f for f in read.features}
    assert by_ref["HOU-1", "p1"].postcode == "PE219ZZ" and by_ref["HOU-1", "p1"].household
    assert by_ref["POL-1", "p1"].confidential
    assert by_ref["HOU-1", "p2"].dob is None
    assert ("POL-2", "p1") not in by_ref and by_ref["POL-2", "p3"].occurred == "2024-12-05"


def test_the_stages_read_of_a_records_mentions_gives_what_the_orm_gives_in_the_same_order(tmp_path):
    from openmash.intake.models import Mention, Record

    people = [adult(ref=f"p{i}", given_names=name) for i, name in enumerate(["Ann", "Beth", "Cara", "Dora"], 1)]
    ingest(tmp_path, record("POL-1", people=people),
           record("POL-2", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Ewa")]))
    # A professional named in a new version: a mention left unlinked beside linked ones.
    ingest(tmp_path, record("POL-1", version=2, recorded_at="2024-12-04T09:00:00Z",
                            people=[*people, adult(ref="p5", role="professional", given_names="Fay")]), name="v2.jsonl")
    for pk in Record.objects.values_list("pk", flat=True):
        mentions, links = services._record_mentions(pk)
        expected = list(Mention.objects.filter(record_id=pk).select_related("link"))
        assert [(m.pk, m.record_id, m.ref, m.role, m.version_id, m.active) for m in mentions] == [
            (m.pk, m.record_id, m.ref, m.role, m.version_id, m.active) for m in expected]
        assert links == {m.pk: m.link for m in expected if hasattr(m, "link")}
        assert all(isinstance(m.active, bool) for m in mentions)
    assert sum(len(services._record_mentions(pk)[1]) for pk in Record.objects.values_list("pk", flat=True)) == 5


def test_candidate_features_are_read_whether_or_not_orjson_accepts_the_text():
    # The compact column is JSON the database wrote; orjson refuses a lone surrogate's escape, which ``json``
    # reads (SQLite may keep one from a name written with it): the rows are then read one by one.
    texts = ['["police", ["ANNA"], null]', '["health", ["\\ud800"], 1]']
    assert services._compact_values(texts) == [["police", ["ANNA"], None], ["health", ["\ud800"], 1]]
    assert services._compact_values(texts[:1]) == [["police", ["ANNA"], None]]
    assert services._compact_values([]) == []
