"""Batch linking on Spark (``openmash link rebuild --engine spark``): the same steps as ``identity.batch``
on Splink's Spark backend, in local mode here; the same code runs against a cluster for national scale.

The blocking keys and candidate pairs are ``batch.keys_sql``/``pairs_sql`` in Spark SQL; Splink scores
the pairs with the model's comparisons translated to Spark (``training.in_dialect``) and its similarity
functions from Splink's bundled Scala jar; the clustering is ``batch.cluster``, in Python, as for DuckDB.

Three settings make local Spark work on a single machine (stack.md §6): Splink's similarity jar on
``spark.jars`` (else ``UNRESOLVED_ROUTINE JARO_WINKLER``), the workers on this process's Python
(``PYSPARK_PYTHON``, else a version mismatch), and everything on loopback with the web UI off.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

from openmash.identity.batch import blocked_sql, bound_sql, keys_sql, pairs_sql
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.scoring import LinkageModel


def java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


def local_session(*, cores: int = 2, memory: str = "2g") -> Any:
    """A local Spark session with what Splink needs."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    checkpoints = tempfile.mkdtemp(prefix="openmash-spark-")
    session = (
        SparkSession.builder.master(f"local[{cores}]").appName("openmash-link-rebuild")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(2, cores * 2)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(checkpoints)
    return session


class SparkScorer:
    """``batch.DuckDBScorer``'s interface on Spark."""

    def __init__(self, session: Any | None = None) -> None:
        if session is None:
            from pyspark.sql import SparkSession

            # A session already running in this process (a notebook, a test) is used and left running.
            session = SparkSession.getActiveSession()
            self._own = session is None
        else:
            self._own = False
        self.spark = session or local_session()

    def _sql(self, sql: str) -> Any:
        return self.spark.sql(sql)

    def load(self, features: Sequence[MentionFeatures]) -> None:
        from openmash.identity.training import features_table

        # An Arrow table keeps its column types (lists of strings, nullable ints) even where a column is empty.
        frame = self.spark.createDataFrame(features_table(features))
        frame.createOrReplaceTempView("men")
        self.men = frame

    def keys(self) -> None:
        keys = self._sql(keys_sql("men", dialect="spark")).cache()
        keys.createOrReplaceTempView("mention_keys")
        self.mention_keys = keys

    def pairs(self) -> int:
        pairs = self._sql(pairs_sql("mention_keys", dialect="spark")).cache()
        pairs.createOrReplaceTempView("candidate_pairs")
        return int(pairs.count())

    def score(self, model: LinkageModel) -> list[tuple[int, int, float]]:
        from splink import Linker, SparkAPI

        from openmash.identity.training import register_term_frequencies, splink_settings

        db_api = SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]
        settings = splink_settings(model, dialect="spark")
        condition = bound_sql(settings, model.review_at)
        linker = Linker(db_api.register(self.men), settings, log_level=logging.WARNING)
        register_term_frequencies(linker, db_api, model)
        blocked = self._sql(blocked_sql(self.men.columns, condition))
        linker.table_management.register_blocked_pairs_for_predict(db_api.register(blocked))
        predictions = linker.inference.predict(threshold_match_probability=model.review_at)
        rows = predictions.as_spark_dataframe().select("unique_id_l", "unique_id_r", "match_probability").collect()
        return [(int(a), int(b), float(p)) for a, b, p in rows]

    def person_key_rows(self, person_of: Sequence[int], targets: set[int]) -> Iterator[tuple[str, int]]:
        import pyarrow as pa

        if not targets:
            return
        assignment = self.spark.createDataFrame(pa.table({"m": pa.array(range(len(person_of)), pa.int64()),
                                                          "person": pa.array(person_of, pa.int64())}))
        assignment.createOrReplaceTempView("assignment")
        query = "SELECT DISTINCT k.key, a.person FROM mention_keys k JOIN assignment a ON k.m = a.m"
        if len(targets) < len(set(person_of)):
            self.spark.createDataFrame(pa.table({"person": pa.array(sorted(targets), pa.int64())})) \
                .createOrReplaceTempView("targets")
            query += " WHERE a.person IN (SELECT person FROM targets)"
        for row in self._sql(query).toLocalIterator():
            yield str(row[0]), int(row[1])

    def close(self) -> None:
        if self._own:
            self.spark.stop()
