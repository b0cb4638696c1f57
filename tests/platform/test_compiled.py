"""Compiled querysets: compiled once per connection and shape, run again with new values, the queryset's rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from openmash.identity.models import Person
from openmash.platform import compiled
from openmash.platform.compiled import Compiled, Ints, Static

pytestmark = pytest.mark.django_db

IDS = ("P1", "P2", "P10", "P_1", "P%1", "p2", "P\\1", "U7")


@pytest.fixture
def people(db):
    made = [Person.objects.create(person_id=person_id) for person_id in IDS]
    Person.objects.filter(person_id="P10").update(merged_into=made[0])
    return made


def _by_ids(ids, merged):
    found = Person.objects.filter(person_id__in=ids).order_by("person_id")
    if merged:
        found = found.filter(merged_into__isnull=False)
    return found.values_list("person_id", "merged_into__person_id")


BY_IDS = Compiled(_by_ids, list, Static)
BY_PKS = Compiled(lambda pks: Person.objects.filter(pk__in=pks).order_by("pk").values_list("pk", "person_id"), Ints)
NAME_HAS = Compiled(lambda part: Person.objects.filter(person_id__icontains=part).order_by("pk").values_list("pk"), str)

values = st.sampled_from([*IDS, "P", "1", "_", "%", "\\", "P9"])


@examples(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(values, max_size=compiled.MOST_COMPILED + 3), merged=st.booleans(), part=values)
def test_compiled_rows_are_the_querysets_rows_for_any_values(people, ids, merged, part):
    assert BY_IDS.rows(ids, merged) == list(_by_ids(ids, merged))
    pks = [p.pk for p in people if p.person_id in ids]
    assert BY_PKS.rows(pks) == list(BY_PKS.queryset(pks))
    # Inside a LIKE pattern: a value the ORM would escape (\, %, _) runs as the plain queryset.
    assert NAME_HAS.rows(part) == list(NAME_HAS.queryset(part))


def test_a_shape_is_compiled_once_and_run_again_with_new_values(people):
    built = []
    reads = Compiled(lambda ids: built.append(ids) or Person.objects.filter(person_id__in=ids).values_list("pk"), list)
    reads.rows(["P1", "P2"])
    with CaptureQueriesContext(connection) as ran:
        assert reads.rows(["P2", "U7"]) == list(Person.objects.filter(person_id__in=["P2", "U7"]).values_list("pk"))
        assert len(reads.rows(["P1"])) == 1
    assert len(built) == 2  # one list of two, one list of one
    assert len(ran.captured_queries) == 3  # the two runs and the check


def test_a_list_that_selects_nothing_reads_nothing(people):
    with CaptureQueriesContext(connection) as ran:
        assert BY_IDS.rows([], False) == []
    assert ran.captured_queries == []


def test_switched_off_every_run_builds_the_queryset(people, monkeypatch):
    monkeypatch.setattr(compiled, "ENABLED", False)
    built = []
    reads = Compiled(lambda ids: built.append(ids) or Person.objects.filter(person_id__in=ids).values_list("pk"), list)
    reads.rows(["P1"])
    reads.rows(["P2"])
    assert built == [["P1"], ["P2"]]


def test_a_placeholder_the_statement_does_not_carry_unchanged_is_refused(people):
    with pytest.raises(ValueError, match="placeholder"):
        Compiled(lambda ref: Person.objects.filter(person_id=ref.upper()).values_list("pk"), str).rows("p1")


def test_a_placeholder_beyond_a_small_integer_column_runs_the_plain_queryset(db):
    # The ORM compiles ``youngest_age <= <placeholder>`` to nothing at all (the mark is beyond the column's range):
    # that must not be kept as "selects nothing", or every later run would answer [] whatever the values.
    from openmash.protocol.models import TriageItem

    ages = Compiled(lambda age: TriageItem.objects.filter(youngest_age__lte=age).values_list("pk"), int)
    plain = Compiled(lambda age: TriageItem.objects.filter(youngest_age__lte=age).values_list("pk"), int)
    assert ages.rows(5) == list(plain.queryset(5))
    with CaptureQueriesContext(connection) as ran:
        assert ages.rows(5) == []
    assert len(ran.captured_queries) == 1  # it asked the database, not a kept empty answer


def test_past_the_most_shapes_a_new_shape_runs_as_the_plain_queryset(people, monkeypatch):
    monkeypatch.setattr(compiled, "MOST_SHAPES", 2)
    reads = Compiled(lambda ids, n: Person.objects.filter(person_id__in=ids).order_by("pk").values_list("pk")[:n],
                     list, Static)
    for n in range(1, 6):
        assert reads.rows(["P1", "P2", "U7"], n) == list(reads.queryset(["P1", "P2", "U7"], n))
    assert len(reads._compiled) == 2
