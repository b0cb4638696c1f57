"""``openmash link rebuild --engine spark``: Splink's Spark backend in local mode gives the people DuckDB gives.

Needs Java (17) for the JVM; skipped with that reason when there is none. Slow: a local Spark session takes
tens of seconds to start and every query is a job.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from openmash.identity import batch, queries
from openmash.identity.domain.scoring import LinkageModel
from openmash.identity.spark import SparkScorer, java_available, local_session

from .test_batch import county
from .test_services import adult, ingest, linking, record  # noqa: F401 - the autouse pipeline fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not java_available(), reason="no Java: Splink's Spark backend needs a JVM (Java 17)"),
]


@pytest.fixture(scope="module")
def spark():
    session = local_session()
    yield session
    session.stop()


def _people(clusters: batch.Clusters) -> list[list[int]]:
    return sorted(sorted(members) for members in clusters.members.values())


def test_spark_forms_the_same_people_as_duckdb(spark):
    features = county(3)[0][:400]
    on_duckdb, _ = batch.score_and_cluster(features, LinkageModel(), batch.DuckDBScorer())
    on_spark, stats = batch.score_and_cluster(features, LinkageModel(), SparkScorer(spark))
    assert stats["pairs"] > 0 and on_spark.merges > 0
    assert _people(on_spark) == _people(on_duckdb)


@pytest.mark.django_db
def test_link_rebuild_on_spark_keeps_person_ids(spark, tmp_path):
    ingest(tmp_path,
           record("GP-1", agency="gp", kind="gp_registration", people=[adult(nhs_number="9990000026")]),
           record("POL-1", recorded_at="2024-12-03T02:30:00Z", people=[adult(given_names="Gosia")]))
    before = queries.person_id_of("police", "POL-1", "p1")
    call_command("link", "rebuild", "--engine", "spark")
    assert queries.person_id_of("police", "POL-1", "p1") == queries.person_id_of("gp", "GP-1", "p1") == before
