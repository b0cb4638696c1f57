"""Batch linking of every stored person-in-record at once: keys and pairs in SQL, Splink scores, guards cluster.

``openmash link rebuild`` (engines ``splink`` and ``spark``) uses this instead of replaying the
real-time linker record by record, which takes hours at national scale. The steps mirror real time:

1. **Blocking keys** in SQL, the twin of ``domain.blocking.blocking_keys`` (the same keys, string for
   string; ``tests/identity/test_batch.py`` checks it), from ``training.features_table``'s columns.
2. **Candidate pairs** by the real-time rule (``domain.linker.candidate_people``): two mentions are
   compared when they share a strong key, or a key held by at most ``SMALL_BLOCK`` mentions, or two
   keys of at most ``MAX_BLOCK`` mentions each, ``NARROW_ONLY`` keys aside (found as a compound key, so a broad block is never
   expanded into all its pairs).
3. **Scoring** by Splink (DuckDB, or Spark) with the active model's m/u, prior and name frequencies:
   the pairs are registered with ``register_blocked_pairs_for_predict`` and scored by ``predict``. First,
   pairs that cannot reach the review band are set aside by ``bound_sql``: Splink's own comparison levels,
   evaluated in order while they are cheap (equalities, list overlaps), and from the first costly level
   (typos, distances) on, the heaviest weight left. Most candidate pairs of a common name differ in date
   of birth and address and never reach the costly levels' work. The pairs left are bounded again with
   every level evaluated (a term-frequency level at its heaviest): the cheap levels' weights are kept from the
   first pass, and the costly levels are evaluated one comparison at a time on the pairs still in reach
   (``exact_sql``), so Splink scores little more than the pairs that reach review; what Splink scores is the same.
4. **Clustering** here, in Python, with the real-time guards (``domain.clustering.merge_conflict``):
   strong identifiers first, then pairs at or above the link threshold, strongest first; a pair in the
   review band, or one that ``domain.clustering.child_match_needs_review`` holds back (as in real time),
   is counted, never merged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openmash.identity.domain.clustering import child_match_needs_review, child_review_possible, merge_conflict
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.linker import MAX_BLOCK, NARROW_ONLY, SMALL_BLOCK
from openmash.identity.domain.scoring import LinkageModel, comparison_levels

logger = logging.getLogger(__name__)


def keys_sql(table: str, *, dialect: str = "duckdb") -> str:
    """``(m, key)``: every blocking key of every mention of ``table`` (a ``features_table``), distinct.

    Written once for DuckDB and Spark: every array is exploded (its values once each) at the top of its own SELECT.
    No key comes twice for one mention, with no DISTINCT over them all (half the step's time): each kind of key has
    its own tag, and within a kind the values come from distinct values of the lists.
    """
    explode = "unnest" if dialect == "duckdb" else "explode"
    distinct = "list_distinct" if dialect == "duckdb" else "array_distinct"
    return f"""
    WITH names AS (
        SELECT unique_id AS m, 'S' AS tag, {explode}({distinct}(key_surnames)) AS name FROM {table}
        UNION ALL SELECT unique_id, 'G', {explode}({distinct}(key_givens)) FROM {table}
    ),
    years AS (SELECT unique_id AS m, {explode}({distinct}(key_years)) AS year FROM {table}),
    homes AS (SELECT unique_id AS m, dob, {explode}({distinct}(households)) AS home FROM {table}),
    parts AS (
        SELECT unique_id AS m, 'D' AS kind, dob AS value FROM {table} WHERE dob IS NOT NULL
        UNION ALL SELECT unique_id, 'M', dob_m || '-' || dob_d FROM {table} WHERE dob IS NOT NULL
        UNION ALL SELECT unique_id, 'W', dob_y || '|' || least(dob_m, dob_d) || '|' || greatest(dob_m, dob_d)
            FROM {table} WHERE dob IS NOT NULL
        UNION ALL SELECT m, 'Y', CAST(year AS STRING) FROM years
        UNION ALL SELECT unique_id, 'P', postcode FROM {table} WHERE postcode IS NOT NULL
        UNION ALL SELECT unique_id, 'T', town FROM {table} WHERE postcode IS NULL AND town IS NOT NULL
        UNION ALL SELECT m, 'H', home FROM homes
    ),
    surnames AS (SELECT unique_id AS m, {explode}({distinct}(key_surnames)) AS surname FROM {table}),
    givens AS (SELECT unique_id AS m, {explode}({distinct}(key_givens)) AS given FROM {table})
    SELECT m, key FROM (
        SELECT n.m, n.tag || p.kind || ':' || n.name || '|' || p.value AS key FROM names n JOIN parts p ON n.m = p.m
        UNION ALL SELECT g.m, 'GS:' || g.given || '|' || s.surname FROM givens g JOIN surnames s ON g.m = s.m
        UNION ALL SELECT unique_id, 'X:' || least(given_first, family) || '|' || greatest(given_first, family)
            FROM {table} WHERE given_first IS NOT NULL AND family IS NOT NULL
        UNION ALL SELECT unique_id, 'XD:' || least(given_first, family) || '|' || greatest(given_first, family) || '|' || dob
            FROM {table} WHERE dob IS NOT NULL AND given_first IS NOT NULL AND family IS NOT NULL
        UNION ALL SELECT unique_id, 'BD:' || dob FROM {table} WHERE dob IS NOT NULL
        UNION ALL SELECT unique_id, 'DP:' || dob || '|' || postcode FROM {table}
            WHERE dob IS NOT NULL AND postcode IS NOT NULL
        UNION ALL SELECT m, 'DH:' || dob || '|' || home FROM homes WHERE dob IS NOT NULL
        UNION ALL SELECT unique_id, 'N:' || nhs FROM {table} WHERE nhs IS NOT NULL
        UNION ALL SELECT unique_id, 'A:' || agency || ':' || agency_person_id FROM {table}
            WHERE agency_person_id IS NOT NULL
        UNION ALL SELECT unique_id, 'L:' || b_number || '|' || replace(b_street, ' ', '') FROM {table}
            WHERE b_number IS NOT NULL
        UNION ALL SELECT unique_id, 'Q:' || least(substr(given_first, 1, 3), substr(family, 1, 3)) || '|'
            || greatest(substr(given_first, 1, 3), substr(family, 1, 3))
            FROM {table} WHERE given_first IS NOT NULL AND family IS NOT NULL
    ) AS all_keys
    """  # noqa: S608 - only our own table name is interpolated


def pairs_sql(keys_table: str, *, dialect: str = "duckdb") -> str:
    """``(l, r)`` with ``l < r``: the candidate pairs of the real-time rule, over ``keys_table`` ``(m, key)``.

    Each key shared by two mentions or more is numbered once, with its block's size and kind, and the joins are
    on those numbers, not on the keys' text. A mention's two broad keys make one compound key (the pair of their
    numbers), so that a pair sharing two broad keys is found without expanding either broad block. DuckDB and
    Spark alike (a number is only ever compared with another for equality and order, so any unique one does).
    """
    number = "row_number() OVER ()" if dialect == "duckdb" else "monotonically_increasing_id()"
    narrow_only = " OR ".join(f"key LIKE '{p}%'" for p in NARROW_ONLY)
    return f"""
    WITH blocks AS (
        SELECT key, count(*) AS n, (key LIKE 'N:%' OR key LIKE 'A:%') AS strong, ({narrow_only}) AS narrow_only
        FROM {keys_table} GROUP BY key HAVING count(*) > 1
    ),
    numbered AS (SELECT key, n, strong, narrow_only, {number} AS id FROM blocks),
    sized AS (SELECT k.m, b.id, b.n, b.strong, b.narrow_only FROM {keys_table} k JOIN numbered b ON k.key = b.key),
    narrow AS (SELECT m, id FROM sized WHERE strong OR n <= {SMALL_BLOCK}),
    broad AS (SELECT m, id FROM sized WHERE NOT strong AND NOT narrow_only AND n > {SMALL_BLOCK} AND n <= {MAX_BLOCK}),
    compound AS (SELECT a.m, a.id AS first, b.id AS second FROM broad a JOIN broad b ON a.m = b.m AND a.id < b.id)
    SELECT DISTINCT l, r FROM (
        SELECT a.m AS l, b.m AS r FROM narrow a JOIN narrow b ON a.id = b.id AND a.m < b.m
        UNION ALL
        SELECT a.m, b.m FROM compound a JOIN compound b ON a.first = b.first AND a.second = b.second AND a.m < b.m
    ) AS candidate
    """  # noqa: S608 - only our own table name and constants are interpolated


#: The levels whose SQL is cheap (equalities, list overlaps, plain arithmetic), per comparison; a comparison not
#: named here is cheap throughout. ``bound_sql`` evaluates a comparison's levels in Splink's order while they are
#: in this set, and stops at the first that is not (string distances, nicknames, the swapped-name tests).
#: ``exact_sql`` evaluates the costly levels in this order (the quicker to set a pair aside first: at 200k
#: person-records the address's set aside half the pairs in a third of the time the names' take).
CHEAP_LEVELS: dict[str, frozenset[str]] = {
    "address": frozenset({"null", "household"}),
    "street": frozenset({"null", "exact"}),
    "town": frozenset({"null", "exact"}),
    "given": frozenset({"null", "first_only", "exact"}),
    "surname": frozenset({"null", "exact"}),
}
#: Bits of slack under the review weight: the bound is a sum of the same weights in another order.
BOUND_SLACK = 1e-6


def _level_weight(level: Mapping[str, Any]) -> float | None:
    """The most a Splink comparison level can add, in bits: log2(m/u), or with a term-frequency adjustment the
    larger of that and log2(m/tf_minimum) (Splink puts the value's frequency, floored at tf_minimum, for u).
    None: the level has no m/u (Splink would use its own defaults: no bound is claimed)."""
    if level.get("is_null_level"):
        return 0.0
    m, u = level.get("m_probability"), level.get("u_probability")
    if not m or not u:
        return None
    weight = math.log2(m / u)
    if level.get("tf_adjustment_column"):
        floor = level.get("tf_minimum_u_value") or 0.0
        weight = max(weight, math.log2(m / floor)) if floor > 0 else math.inf
    return weight


@dataclass(frozen=True)
class Term:
    """One comparison's part of a bound: its levels' SQL cut at its first costly level (``CHEAP_LEVELS``)."""

    #: The comparison's ``output_column_name``.
    name: str
    #: Splink's CASE over the cheap levels, in its order, NULL from the first costly level on (None: the first level
    #: is costly). With no costly level, the whole CASE, its ELSE the else level's weight.
    head: str | None
    #: The heaviest weight of the costly levels (the pair's level is one of them when ``head`` is NULL); None: none.
    rest: float | None
    #: Splink's CASE over the costly levels, each with its own weight (None: none).
    tail: str | None

    def bounded(self) -> str:
        """The term: its cheap levels' weight, else the heaviest weight of the costly ones."""
        if self.rest is None:
            return f"({self.head})"
        return f"coalesce({self.head}, {self.rest!r})" if self.head else f"({self.rest!r})"


def bound_terms(settings: Mapping[str, Any], threshold: float, *,
                cheap: Mapping[str, frozenset[str]] = CHEAP_LEVELS) -> tuple[list[Term], float] | None:
    """``bound_sql``'s terms, one per comparison, and the floor their sum must reach; None if no bound can be made."""
    terms: list[Term] = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        levels = list(comparison["comparison_levels"])
        weights = [_level_weight(level) for level in levels]
        if any(w is None or math.isinf(w) for w in weights):
            return None
        ends = [str(level["sql_condition"]).strip().upper() == "ELSE" for level in levels]
        if True in ends:  # the levels after an ELSE are never reached
            levels, weights = levels[:ends.index(True) + 1], weights[:ends.index(True) + 1]
        first = next((n for n, level in enumerate(levels)
                      if name in cheap and level.get("label_for_charts", "") not in cheap[name]), len(levels))
        if first == len(levels):
            terms.append(Term(name, _case(levels, weights, otherwise=None), None, None))
            continue
        rest = max(w for w in weights[first:] if w is not None)
        head = _case(levels[:first], weights[:first], otherwise="NULL") if first else None
        terms.append(Term(name, head, rest, _case(levels[first:], weights[first:], otherwise=None)))
    prior = settings["probability_two_random_records_match"]
    return terms, math.log2(threshold / (1 - threshold)) - math.log2(prior / (1 - prior)) - BOUND_SLACK


def _case(levels: Sequence[Mapping[str, Any]], weights: Sequence[float | None], *, otherwise: str | None) -> str:
    """Splink's CASE over ``levels``, each giving its weight; past them ``otherwise``, or when None the ELSE
    level's weight (0.0 without one: nothing added)."""
    whens: list[str] = []
    for level, weight in zip(levels, weights, strict=True):
        if str(level["sql_condition"]).strip().upper() == "ELSE":
            otherwise = otherwise or repr(weight)
            break
        whens.append(f"WHEN {level['sql_condition']} THEN {weight!r}")
    otherwise = otherwise or repr(0.0)
    return f"CASE {' '.join(whens)} ELSE {otherwise} END" if whens else otherwise


def bound_sql(settings: Mapping[str, Any], threshold: float, *,
              cheap: Mapping[str, frozenset[str]] = CHEAP_LEVELS) -> str | None:
    """A SQL condition over a pair's ``<column>_l``/``<column>_r`` that holds for every pair Splink would score at
    or above the probability ``threshold``, and for few others; None if no bound can be made.

    ``settings`` is ``training.splink_settings(model)`` (in the dialect the condition is for).
    Each comparison is Splink's own CASE over its levels, in its order, while the levels are cheap; from the first
    costly level on, it is the heaviest weight of the levels left (the pair's level is one of them). Splink's
    match weight is the prior's plus each comparison's level weight, so the sum of these bounds is never below it.
    """
    bound = bound_terms(settings, threshold, cheap=cheap)
    if bound is None:
        return None
    terms, floor = bound
    return f"({' + '.join(term.bounded() for term in terms)}) >= {floor!r}"


def blocked_sql(columns: Sequence[str], condition: str | None, *, pairs: str = "candidate_pairs",
                mentions: str = "men") -> str:
    """Splink's blocked pairs (``match_key``, ``join_key_l``, ``join_key_r``): the candidate pairs, less those
    ``condition`` (``bound_sql``) sets aside. ``columns``: the mentions' columns (each side's as ``<name>_l``/``_r``)."""
    if condition is None:
        return f"SELECT '0' AS match_key, l AS join_key_l, r AS join_key_r FROM {pairs}"  # noqa: S608
    return f"""
    SELECT '0' AS match_key, p.l AS join_key_l, p.r AS join_key_r
    {_sides_sql(columns, pairs, mentions)}
    WHERE {condition}
    """  # noqa: S608 - our own tables, columns and the model's conditions


def _sides_sql(columns: Sequence[str], pairs: str, mentions: str) -> str:
    """FROM the pairs ``p`` (``l``, ``r``) joined to both mentions' ``columns``, as ``<name>_l`` and ``<name>_r``."""
    sides = {side: ", ".join(f"{c} AS {c}_{side}" for c in columns) for side in ("l", "r")}
    return f"""FROM {pairs} p
    JOIN (SELECT {sides['l']} FROM {mentions}) ml ON ml.unique_id_l = p.l
    JOIN (SELECT {sides['r']} FROM {mentions}) mr ON mr.unique_id_r = p.r"""  # noqa: S608


def bounded_sql(columns: Sequence[str], terms: Sequence[Term], floor: float, *, pairs: str = "candidate_pairs",
                mentions: str = "men") -> str:
    """The first of two passes: the candidate pairs whose cheap bound (``bound_sql``) reaches ``floor``, as ``l``,
    ``r``, ``w`` (the weight of the comparisons with no costly level) and ``w<n>``: term n's cheap levels' weight,
    NULL when the pair's level is a costly one (``Term.head``), for each term with costly levels."""
    whole = " + ".join(f"({t.head})" for t in terms if t.rest is None) or "0"
    split = [(n, t) for n, t in enumerate(terms) if t.rest is not None]
    heads = "".join(f", {t.head} AS w{n}" for n, t in split if t.head)
    bound = " + ".join(["w", *(f"coalesce(w{n}, {t.rest!r})" if t.head else f"{t.rest!r}" for n, t in split)])
    # OFFSET 0 keeps the filter above the weights: pushed down, it would be evaluated with them again.
    return f"""
    SELECT * FROM (SELECT p.l, p.r, {whole} AS w{heads} {_sides_sql(columns, pairs, mentions)} OFFSET 0) AS cheap
    WHERE {bound} >= {floor!r}
    """  # noqa: S608 - our own tables, columns and the model's conditions


def exact_sql(columns: Sequence[str], terms: Sequence[Term], floor: float, *, pairs: str = "bounded",
              mentions: str = "men") -> str:
    """The second pass, on ``bounded_sql``'s pairs: Splink's blocked pairs whose bound with every level's own weight
    reaches ``floor``. Only the costly levels are evaluated, on the pairs whose level is one of them, one comparison
    at a time in ``CHEAP_LEVELS``' order, each on the pairs the comparisons before it left."""
    order = list(CHEAP_LEVELS)
    split = sorted((n for n, t in enumerate(terms) if t.rest is not None),
                   key=lambda n: order.index(terms[n].name) if terms[n].name in order else len(order))
    weight = {n: f"coalesce(w{n}, {terms[n].rest!r})" if terms[n].head else repr(terms[n].rest) for n in split}
    sql = f"SELECT p.*, ml.*, mr.* {_sides_sql(columns, pairs, mentions)}"
    for n in split:
        weight[n] = f"x{n}"
        exact = f"coalesce(w{n}, {terms[n].tail})" if terms[n].head else f"({terms[n].tail})"
        # OFFSET 0 keeps the filter above the weight (pushed down, it would be evaluated in the filter, then again).
        sql = (f"SELECT * FROM (SELECT *, {exact} AS x{n} FROM ({sql}) OFFSET 0)"  # noqa: S608 - the model's conditions
               f" WHERE {' + '.join(['w', *weight.values()])} >= {floor!r}")
    return f"SELECT '0' AS match_key, l AS join_key_l, r AS join_key_r FROM ({sql})"  # noqa: S608


@dataclass
class Clusters:
    """Mention indexes grouped into people, with what decided each mention's place."""

    members: dict[int, list[int]]
    #: Best pair probability that joined each mention (1.0 for a strong identifier).
    best: dict[int, float]
    merges: int
    reviews: int
    refused: int


def cluster(
    features: Sequence[MentionFeatures], scored: Sequence[tuple[int, int, float]], model: LinkageModel,
    *, progress: Callable[[int], None] | None = None,
) -> Clusters:
    """Join mentions into people: strong identifiers first, then pairs strongest first, under the guards."""
    parent = list(range(len(features)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(features))}
    best: dict[int, float] = {}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    strong: list[tuple[int, int, float]] = []
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, f in enumerate(features):
        if f.nhs:
            groups.setdefault(("N", f.nhs), []).append(i)
        if f.agency_person_id:
            groups.setdefault(("A", f.agency, f.agency_person_id), []).append(i)
    for group in groups.values():
        strong.extend((group[0], other, 1.0) for other in group[1:])
    merges = reviews = refused = 0
    # Strongest first; equal probabilities by mention, so the result never rests on the order Splink returned them.
    ordered = sorted(scored, key=lambda t: (-t[2], t[0], t[1]))
    for n, (i, j, p) in enumerate(strong + ordered):
        if progress is not None and n % 100_000 == 0:
            progress(n)
        if p < model.link_at or (
            n >= len(strong) and child_review_possible(features[i], features[j])
            and child_match_needs_review(features[i], features[j], comparison_levels(features[i], features[j]))
        ):
            reviews += 1
            continue
        a, b = root(i), root(j)
        if a == b:
            continue
        if merge_conflict([features[k] for k in members[a]], [features[k] for k in members[b]]) is not None:
            refused += 1
            continue
        keep, absorb = min(a, b), max(a, b)
        parent[absorb] = keep
        members[keep].extend(members.pop(absorb))
        best[i], best[j] = max(best.get(i, 0.0), p), max(best.get(j, 0.0), p)
        merges += 1
    return Clusters(members, best, merges, reviews, refused)


class DuckDBScorer:
    """Keys, pairs and Splink scores on one DuckDB connection (single node, the default)."""

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        #: Whether the mentions' table is in (``load_table``).
        self.loaded = False
        #: Whether pairs that cannot reach the review band are set aside before Splink scores (``bound_sql``).
        self.bound = True
        #: Candidate pairs left for Splink to score once ``bound_sql`` set aside those that cannot reach review.
        self.bounded: int | None = None
        if threads:
            self.con.execute(f"SET threads = {int(threads)}").fetchall()
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()

    def _run(self, sql: str) -> list[Any]:
        # DuckDB keeps a statement's result open until fetched; fetch it so Splink can use the connection.
        return list(self.con.execute(sql).fetchall())

    def load(self, features: Sequence[MentionFeatures]) -> None:
        from openmash.identity.training import features_table

        self.load_table(features_table(features))

    def load_table(self, table: Any) -> None:
        """The mentions as a ``training.features_table`` already made (``unique_id`` = position)."""
        self.con.register("men_arrow", table)
        self._run("CREATE OR REPLACE TABLE men AS SELECT * FROM men_arrow")
        self.con.unregister("men_arrow")
        self.loaded = True

    def keys(self) -> None:
        self._run(f"CREATE OR REPLACE TABLE mention_keys AS {keys_sql('men')}")

    def pairs(self) -> int:
        self._run(f"CREATE OR REPLACE TABLE candidate_pairs AS {pairs_sql('mention_keys')}")
        return int(self._run("SELECT count(*) FROM candidate_pairs")[0][0])

    def score(self, model: LinkageModel) -> list[tuple[int, int, float]]:
        from splink import DuckDBAPI, Linker

        from openmash.identity.training import register_term_frequencies, splink_settings

        db_api = DuckDBAPI(connection=self.con)
        settings = splink_settings(model)
        columns = [str(row[0]) for row in self._run("SELECT column_name FROM (DESCRIBE men)")]
        linker = Linker(db_api.register("men"), settings, log_level=logging.WARNING)
        register_term_frequencies(linker, db_api, model)
        bound = bound_terms(settings, model.review_at) if self.bound else None
        if bound is None:
            self._run(f"CREATE OR REPLACE TABLE blocked AS {blocked_sql(columns, None)}")
        else:
            # Two passes: the cheap bound on every candidate pair, keeping each comparison's cheap weight; then, on
            # the few pairs left, the costly levels' own weights where the cheap ones did not decide (as
            # ``bound_sql`` with every level cheap, without evaluating the cheap levels again).
            terms, floor = bound
            # In order of the left mention, whose columns are then looked up in order: at 1M person-records (39M
            # candidate pairs) the first pass took 4-22% less CPU so in four comparisons, the sort included.
            ordered = "(SELECT l, r FROM candidate_pairs ORDER BY l)"
            self._run(f"CREATE OR REPLACE TABLE bounded AS {bounded_sql(columns, terms, floor, pairs=ordered)}")
            self._run(f"CREATE OR REPLACE TABLE blocked AS {exact_sql(columns, terms, floor)}")
            self._run("DROP TABLE bounded")
        self.bounded = int(self._run("SELECT count(*) FROM blocked")[0][0])
        linker.table_management.register_blocked_pairs_for_predict(db_api.register("blocked"))
        predictions = linker.inference.predict(threshold_match_probability=model.review_at)
        rows = self.con.sql(f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}")  # noqa: S608
        left, right, probability = (column.to_pylist() for column in rows.to_arrow_table().columns)
        return list(zip(left, right, probability, strict=True))

    def person_key_rows(self, person_of: Sequence[int], targets: set[int]) -> Iterator[tuple[str, int]]:
        """Distinct ``(key, person)`` of the people in ``targets``, ``person_of[m]`` being mention m's person."""
        if not targets:
            return
        held, _ = self._held(person_of, targets)
        for part in self.con.sql(f"SELECT DISTINCT k.key, a.person {held}").to_arrow_reader(200_000):
            yield from zip(part.column(0).to_pylist(), part.column(1).to_pylist(), strict=True)

    def person_key_batches(self, person_of: Sequence[int], targets: set[int], *, secret: bytes) -> Iterator[Any]:
        """The distinct ``(key, person)`` of ``person_key_rows`` as Arrow record batches of int64, each key in its
        stored form (``blocking_index.key_hashes`` under ``secret``), by person and key.

        Each distinct key is hashed once. Hashing is the costly part (a million people hold ~15 million keys, each
        hashed in Python): from ``HASH_IN_WORKERS_FROM`` keys on, worker processes start on it now, and the caller
        writes the links meanwhile and reads the batches after.
        """
        if not targets:
            return iter(())
        held, everyone = self._held(person_of, targets)
        # Every mention has a person: when every person is a target, every mention's keys are (no join to find them).
        keys = self.con.sql("SELECT DISTINCT key FROM mention_keys" if everyone else f"SELECT DISTINCT k.key {held}")
        keys = keys.to_arrow_table().column(0)
        return self._stored_key_batches(held, keys, _hash_keys(keys, secret))

    def _held(self, person_of: Sequence[int], targets: set[int]) -> tuple[str, bool]:
        """The FROM clause of the keys (``k``) held by the people (``a``) in ``targets``; whether that is everyone."""
        import pyarrow as pa

        self.con.register("assignment_arrow", pa.table({"m": pa.array(range(len(person_of)), pa.int64()),
                                                       "person": pa.array(person_of, pa.int64())}))
        held = "FROM mention_keys k JOIN assignment_arrow a USING (m)"
        if targets.issuperset(person_of):
            return held, True
        self.con.register("targets_arrow", pa.table({"person": pa.array(sorted(targets), pa.int64())}))
        return f"{held} WHERE a.person IN (SELECT person FROM targets_arrow)", False  # noqa: S608 - constants only

    def _stored_key_batches(self, held: str, keys: Any, hashed: Callable[[], Any]) -> Iterator[Any]:
        # By person: PostgreSQL then builds the person index from a sorted table and checks the foreign key reading
        # it in order (at 1M person-records 14 s of index building, against 22 s in key order).
        import pyarrow as pa

        self.con.register("stored_arrow", pa.table({"key": keys, "stored": hashed()}))
        stored = held.replace(" USING (m)", " USING (m) JOIN stored_arrow s USING (key)")
        yield from self.con.sql(f"SELECT DISTINCT s.stored, a.person {stored} ORDER BY 2, 1").to_arrow_reader(200_000)
        self.con.unregister("stored_arrow")

    def close(self) -> None:
        self.con.close()


#: From this many distinct keys on, ``person_key_batches`` hashes them in ``HASH_WORKERS`` worker processes,
#: ``HASH_CHUNK`` at a time. One is enough to be done before the links are written, and leaves the other core to
#: this process and the database writing them.
HASH_IN_WORKERS_FROM = 200_000
HASH_WORKERS = 1
HASH_CHUNK = 500_000


def _hash_keys(keys: Any, secret: bytes) -> Callable[[], Any]:
    """Start hashing an Arrow array of keys (in worker processes when there are many); returns a function giving
    the hashes, an Arrow int64 array in the keys' order, once they are done."""
    if len(keys) < HASH_IN_WORKERS_FROM:
        done = hash_key_chunk(keys, secret)
        return lambda: done
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pyarrow as pa

    # Fresh processes (not forked: DuckDB's threads ran here) that need no Django: they import only this module.
    pool = ProcessPoolExecutor(HASH_WORKERS, mp_context=multiprocessing.get_context("spawn"))
    parts = [pool.submit(hash_key_chunk, keys.slice(start, HASH_CHUNK), secret)
             for start in range(0, len(keys), HASH_CHUNK)]
    pool.shutdown(wait=False)  # the workers leave once the chunks are hashed
    return lambda: pa.chunked_array([part.result() for part in parts], pa.int64())


def hash_key_chunk(keys: Any, secret: bytes) -> Any:
    """``blocking_index.key_hashes`` of an Arrow array of keys, as an Arrow int64 array."""
    import pyarrow as pa

    from openmash.identity.blocking_index import key_hashes

    return pa.array(key_hashes(keys.to_pylist(), secret), pa.int64())


def score_and_cluster(
    features: Sequence[MentionFeatures], model: LinkageModel, scorer: Any, *, step: Callable[[str], None] = lambda _: None,
) -> tuple[Clusters, dict[str, float]]:
    """Run the four steps on ``scorer`` (``DuckDBScorer`` or the Spark one); returns clusters and counts."""
    import time

    stats: dict[str, float] = {}
    started = time.perf_counter()
    step("features table")
    if not getattr(scorer, "loaded", False):
        scorer.load(features)
    stats["table_s"] = time.perf_counter() - started
    step("blocking keys")
    scorer.keys()
    stats["keys_s"] = time.perf_counter() - started - sum(stats.values())
    step("candidate pairs")
    stats["pairs"] = scorer.pairs()
    stats["pairs_s"] = time.perf_counter() - started - stats["table_s"] - stats["keys_s"]
    step(f"scoring {int(stats['pairs']):,} pairs with Splink")
    mark = time.perf_counter()
    scored = scorer.score(model)
    stats["scored"] = len(scored)
    if getattr(scorer, "bounded", None) is not None:
        stats["bounded"] = scorer.bounded
    stats["score_s"] = time.perf_counter() - mark
    step("clustering under the guards")
    mark = time.perf_counter()
    clusters = cluster(features, scored, model)
    stats["cluster_s"] = time.perf_counter() - mark
    return clusters, stats
