"""Train the linkage model's m/u, prior and name frequencies with Splink 5 on DuckDB.

The only module (with ``rebuild``) that imports Splink. The comparisons below
are the SQL twins of ``domain.scoring``'s Python comparisons, level for level
and with the same names, so the trained m/u drop straight into ``LinkageModel``
and the real-time scorer keeps running in-process, without Splink.

Training follows Splink's usual recipe: the prior from deterministic rules,
u from random pairs, m by expectation maximisation in two sessions blocked on
date of birth and on name (each session estimates the fields it does not block on).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Types only: importing pandas costs each features worker of a rebuild (which imports this module) 0.6 s.
    import pandas as pd
    import pyarrow as pa

from openmash.identity.domain.blocking import birth_years, given_keys, surname_keys
from openmash.identity.domain.features import MentionFeatures
from openmash.identity.domain.names import given_variants, surname_stem
from openmash.identity.domain.scoring import LinkageModel, swapped_levels

logger = logging.getLogger(__name__)

#: Fields the model trains; NHS number and agency ids are strong identifiers handled by rule.
TRAINED_FIELDS = ("given", "surname", "dob", "sex", "address", "number", "street", "town")
#: EM on a small county can drive an m to ~0 (one recording error seen nowhere): a floor keeps
#: every level finite, so a single slip never outweighs everything else.
M_FLOOR = 0.002
U_FLOOR = 1e-6


#: Columns of ``features_table``, in order, with their Arrow types.
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "int64"), ("given_first", "str"), ("given_joined", "str"), ("given_all", "list"), ("given_formals", "list"),
    ("family", "str"), ("surname_forms", "list"), ("surname_stems", "list"), ("dob", "str"), ("dob_y", "str"),
    ("dob_md", "str"), ("dob_m", "str"), ("dob_d", "str"), ("birth_lo", "int64"), ("birth_hi", "int64"),
    ("adult", "bool"), ("sex", "str"), ("postcode", "str"), ("district", "str"), ("households", "list"),
    ("has_address", "bool"), ("nhs", "str"), ("town", "str"), ("b_number", "str"), ("b_street", "str"),
    ("uprns", "list"),
    # For the batch blocking keys (``identity.batch``): the names and years ``domain.blocking`` keys on.
    ("agency", "str"), ("agency_person_id", "str"), ("key_surnames", "list"), ("key_givens", "list"),
    ("key_years", "intlist"),
)


def features_table(features: Sequence[MentionFeatures], *, first_id: int = 0) -> pa.Table:
    """One row per mention (``unique_id`` = ``first_id`` + its index) with the columns the SQL reads."""
    import pyarrow as pa

    rows = [_table_row(first_id + i, f) for i, f in enumerate(features)]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
    types = {"int64": pa.int64(), "str": pa.string(), "list": pa.list_(pa.string()), "bool": pa.bool_(),
             "intlist": pa.list_(pa.int64())}
    return pa.table({name: pa.array(column, type=types[kind]) for (name, kind), column in zip(_COLUMNS, columns,
                                                                                               strict=True)})


def _table_row(unique_id: int, f: MentionFeatures) -> tuple[Any, ...]:
    """One row of ``features_table``, in ``_COLUMNS`` order."""
    dob = f.dob
    lo, hi = (int(dob[:4]), int(dob[:4])) if dob else (f.birth_years or (None, None))
    number, street = f.building.split("|", 1) if f.building else (None, None)
    postcode = f.postcode
    return (
        unique_id,
        f.given[0] if f.given else None,
        "".join(f.given) if len(f.given) > 1 else None,
        f.given,
        _formals(f.given[:3]),
        f.family or None,
        f.surnames,
        _stems(f.surnames),
        dob,
        dob[:4] if dob else None,
        dob[5:7] + dob[8:10] if dob else None,
        dob[5:7] if dob else None,
        dob[8:10] if dob else None,
        lo,
        hi,
        hi is not None and int(f.occurred[:4]) - hi >= 18,
        f.sex,
        postcode,
        postcode[:-3] if postcode else None,
        f.household,
        bool(postcode or f.household or f.town),
        f.nhs,
        f.town,
        number,
        street,
        tuple(k for k in f.household if k.startswith("U:")),
        f.agency,
        f.agency_person_id,
        surname_keys(f),
        given_keys(f),
        birth_years(f),
    )


@lru_cache(maxsize=65536)
def _formals(given: tuple[str, ...]) -> tuple[str, ...]:
    formals: set[str] = set()
    for token in given:
        formals |= given_variants(token)
    return tuple(sorted(formals))


@lru_cache(maxsize=65536)
def _stems(surnames: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({surname_stem(s) for s in surnames}))


def features_frame(features: Sequence[MentionFeatures], *, first_id: int = 0) -> pd.DataFrame:
    """``features_table`` as a pandas frame."""
    return features_table(features, first_id=first_id).to_pandas()


def _one_apart(l_: str, r_: str, width: int = 4) -> str:
    """Two strings of ``width`` characters that differ in exactly one place (a Hamming distance of 1)."""
    return "(" + " + ".join(f"CASE WHEN substr({l_}, {i}, 1) <> substr({r_}, {i}, 1) THEN 1 ELSE 0 END"
                            for i in range(1, width + 1)) + ") = 1"


#: DuckDB functions in the comparisons' SQL, and what Spark (with Splink's similarity jar) calls them.
_SPARK_FUNCTIONS = (
    (r"\bjaro_winkler_similarity\(", "jaro_winkler("), (r"\blist_has_any\(", "arrays_overlap("),
    (r"\blist_contains\(", "array_contains("), (r"\blen\(", "size("),
    (r"\blist_slice\(([^,()]+), 2, 10\)", r"slice(\1, 2, 9)"),
)


def in_dialect(sql: str, dialect: str) -> str:
    """The comparisons are written for DuckDB; the same conditions for Spark."""
    if dialect == "duckdb":
        return sql
    if dialect != "spark":
        raise ValueError(f"no SQL for dialect {dialect!r}")
    for pattern, replacement in _SPARK_FUNCTIONS:
        sql = re.sub(pattern, replacement, sql)
    return sql


def _dl_within(l_: str, r_: str, edits: int) -> str:
    """Damerau-Levenshtein distance at most ``edits``. Two necessary conditions come first, so that almost every
    pair skips the (slow) distance itself: the lengths differ by at most ``edits``, and the Levenshtein distance
    (fast) is at most twice ``edits`` (a transposition is two Levenshtein edits)."""
    return (f"abs(length({l_}) - length({r_})) <= {edits} AND levenshtein({l_}, {r_}) <= {2 * edits}"
            f" AND damerau_levenshtein({l_}, {r_}) <= {edits}")


def _close_sql(l_: str, r_: str) -> str:
    """``names.is_close_typo`` in SQL, condition for condition."""
    return (f"({l_} = {r_} OR (least(length({l_}), length({r_})) >= 3 AND {_dl_within(l_, r_, 1)})"
            f" OR (least(length({l_}), length({r_})) >= 6 AND jaro_winkler_similarity({l_}, {r_}) >= 0.94))")


def _loose_sql(l_: str, r_: str) -> str:
    """``names.is_loose_typo`` in SQL (after ``_close_sql``), condition for condition."""
    return (f"((least(length({l_}), length({r_})) = 2 AND left({l_}, 1) = left({r_}, 1) AND {_dl_within(l_, r_, 1)})"
            f" OR (least(length({l_}), length({r_})) >= 4 AND {_dl_within(l_, r_, 2)})"
            f" OR (least(length({l_}), length({r_})) >= 3 AND left({l_}, 1) = left({r_}, 1)"
            f" AND jaro_winkler_similarity({l_}, {r_}) >= 0.88))")


_GIVEN_FORMS_SQL = ("list_has_any(given_formals_l, given_formals_r) OR list_contains(given_all_r, given_first_l)"
                    " OR list_contains(given_all_l, given_first_r)")
_SURNAME_FORMS_SQL = "list_has_any(surname_forms_l, surname_forms_r) OR list_has_any(surname_stems_l, surname_stems_r)"


def _differs_sql(l_: str, r_: str, forms_sql: str) -> str:
    """A name's "else" level: none of exact, variant, typo or loose."""
    return f"NOT coalesce({l_} = {r_} OR {forms_sql} OR {_close_sql(l_, r_)} OR {_loose_sql(l_, r_)}, false)"


def _family_in_given_sql(given_side: str, family_side: str) -> str:
    """``scoring._family_in_given``: the first given name, or all of them run together, is the family name."""
    return (f"({_close_sql(f'given_first_{given_side}', f'family_{family_side}')}"
            f" OR {_close_sql(f'given_joined_{given_side}', f'family_{family_side}')})")


#: ``scoring.names_swapped``: given and family names the other way round, as the given comparison's level after
#: exact, variant, typo and loose (so the given names already differ: only the family names are checked). The
#: family-in-given tests come first: they fail for almost every pair, and the other distances are then skipped.
_SWAPPED_SQL = (f"{_family_in_given_sql('l', 'r')} AND {_family_in_given_sql('r', 'l')}"
                f" AND {_differs_sql('family_l', 'family_r', _SURNAME_FORMS_SQL)}")
#: ``scoring.names_crossed`` (or swapped): the family name's "swapped" level, after its exact, variant, typo and
#: loose levels (the family names already differ: only the given names are checked).
_CROSSED_SQL = (f"({_family_in_given_sql('l', 'r')} OR {_family_in_given_sql('r', 'l')})"
                f" AND given_first_l <> given_first_r AND {_differs_sql('given_first_l', 'given_first_r', _GIVEN_FORMS_SQL)}")


def _name_comparison(name: str, first: str, forms_sql: str) -> Any:
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    l_, r_ = f"{first}_l", f"{first}_r"
    return CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.CustomLevel(f"{l_} IS NULL OR {r_} IS NULL", label_for_charts="null").configure(is_null_level=True),
            *([cll.CustomLevel(
                f"{l_} = {r_} AND len(given_all_l) > 1 AND len(given_all_r) > 1"
                " AND NOT list_has_any(list_slice(given_all_l, 2, 10), list_slice(given_all_r, 2, 10))",
                label_for_charts="first_only",
            )] if name == "given" else []),
            cll.CustomLevel(f"{l_} = {r_}", label_for_charts="exact").configure(
                tf_adjustment_column=first, tf_adjustment_weight=1.0
            ),
            cll.CustomLevel(forms_sql, label_for_charts="variant"),
            cll.CustomLevel(_close_sql(l_, r_), label_for_charts="typo"),
            cll.CustomLevel(_loose_sql(l_, r_), label_for_charts="loose"),
            cll.CustomLevel(_SWAPPED_SQL if name == "given" else _CROSSED_SQL, label_for_charts="swapped"),
            cll.ElseLevel().configure(label_for_charts="else"),
        ],
    )


#: ``scoring._places_agree``: the same postcode, or (when either postcode is missing) the town but for a slip.
_PLACES_SQL = ("((postcode_l IS NOT NULL AND postcode_r IS NOT NULL AND postcode_l = postcode_r)"
               " OR ((postcode_l IS NULL OR postcode_r IS NULL)"
               f" AND ({_close_sql('town_l', 'town_r')} OR {_loose_sql('town_l', 'town_r')})))")
#: ``scoring.compare_address``'s building lines: both, unless both sides have UPRNs and they differ.
_LINES_SQL = ("b_number_l IS NOT NULL AND b_number_r IS NOT NULL"
              " AND NOT (len(uprns_l) > 0 AND len(uprns_r) > 0 AND NOT list_has_any(uprns_l, uprns_r))")
_STREET_LOOSE_SQL = f"({_close_sql('b_street_l', 'b_street_r')} OR {_loose_sql('b_street_l', 'b_street_r')})"
#: ``scoring._same_building_line``: the building line but for a slip.
_SAME_LINE_SQL = (f"((b_number_l = b_number_r AND {_STREET_LOOSE_SQL})"
                  f" OR (b_street_l = b_street_r AND {_dl_within('b_number_l', 'b_number_r', 1)}))")
#: ``scoring.compare_address``'s "near": the building line but for a slip, in the same postcode (or town, when a
#: postcode is missing), unless both sides have UPRNs and they differ.
_NEAR_SQL = f"{_LINES_SQL} AND {_SAME_LINE_SQL} AND {_PLACES_SQL}"  # the cheap, selective test first
#: ``scoring.compare_address``'s "street" and "building" levels (after household, near, postcode, district).
_STREET_SQL = f"{_LINES_SQL} AND {_PLACES_SQL} AND {_STREET_LOOSE_SQL}"
_BUILDING_SQL = f"{_LINES_SQL} AND {_SAME_LINE_SQL}"
_TOWN_SQL = f"({_close_sql('town_l', 'town_r')} OR {_loose_sql('town_l', 'town_r')})"
#: ``scoring.parts_apply``: neither a postcode on both sides nor a UPRN on both.
_PARTS_SQL = ("NOT (postcode_l IS NOT NULL AND postcode_r IS NOT NULL)"
              " AND NOT (len(uprns_l) > 0 AND len(uprns_r) > 0)")


def _part_comparison(name: str, column: str, *, slips: bool, tf: bool = False) -> Any:
    """One part of the address, where the parts are compared (``scoring._part_levels``): the building number, the
    street (``slips``: a "typo" level) and the town (``tf``: its exact level adjusted by the town's frequency)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    l_, r_ = f"{column}_l", f"{column}_r"
    exact = cll.CustomLevel(f"{l_} = {r_}", label_for_charts="exact")
    return CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.CustomLevel(f"{l_} IS NULL OR {r_} IS NULL OR NOT ({_PARTS_SQL})", label_for_charts="null").configure(
                is_null_level=True),
            exact.configure(tf_adjustment_column=column, tf_adjustment_weight=1.0) if tf else exact,
            *([cll.CustomLevel(f"({_close_sql(l_, r_)} OR {_loose_sql(l_, r_)})", label_for_charts="typo")] if slips else []),
            cll.ElseLevel().configure(label_for_charts="else"),
        ],
    )


def _comparisons(*, strong_ids: bool = False) -> list[Any]:
    """The SQL twins of ``domain.scoring``'s comparisons; ``strong_ids`` adds NHS number and agency person id
    (scored from the model's fixed m/u, not trained: they are decided by rule)."""
    import splink.comparison_level_library as cll
    from splink.comparison_library import CustomComparison

    given = _name_comparison("given", "given_first", _GIVEN_FORMS_SQL)
    surname = _name_comparison("surname", "family", _SURNAME_FORMS_SQL)
    dob = CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.CustomLevel("birth_lo_l IS NULL OR birth_lo_r IS NULL", label_for_charts="null").configure(is_null_level=True),
            cll.CustomLevel("dob_l = dob_r", label_for_charts="exact"),
            cll.CustomLevel("dob_y_l = dob_y_r AND dob_m_l = dob_d_r AND dob_d_l = dob_m_r", label_for_charts="swap"),
            cll.CustomLevel(
                f"(dob_md_l = dob_md_r AND (abs(cast(dob_y_l AS INTEGER) - cast(dob_y_r AS INTEGER)) = 1"
                f" OR {_one_apart('dob_y_l', 'dob_y_r')})) OR (dob_y_l = dob_y_r AND {_one_apart('dob_md_l', 'dob_md_r')})",
                label_for_charts="near",
            ),
            cll.CustomLevel("dob_l IS NOT NULL AND dob_r IS NOT NULL", label_for_charts="else"),
            cll.CustomLevel("birth_lo_l - 1 <= birth_hi_r AND birth_lo_r - 1 <= birth_hi_l", label_for_charts="estimate_agrees"),
            cll.CustomLevel(
                "adult_l AND adult_r AND birth_lo_l - 3 <= birth_hi_r AND birth_lo_r - 3 <= birth_hi_l",
                label_for_charts="estimate_close",
            ),
            cll.ElseLevel().configure(label_for_charts="estimate_disagrees"),
        ],
    )
    sex = CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            cll.CustomLevel("sex_l IS NULL OR sex_r IS NULL", label_for_charts="null").configure(is_null_level=True),
            cll.CustomLevel("sex_l = sex_r", label_for_charts="agree"),
            cll.ElseLevel().configure(label_for_charts="disagree"),
        ],
    )
    address = CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel(f"NOT has_address_l OR NOT has_address_r OR ({_PARTS_SQL})", label_for_charts="null").configure(
                is_null_level=True),
            cll.CustomLevel("list_has_any(households_l, households_r)", label_for_charts="household"),
            cll.CustomLevel(_NEAR_SQL, label_for_charts="near"),
            cll.CustomLevel("postcode_l = postcode_r", label_for_charts="postcode"),
            cll.CustomLevel("district_l = district_r", label_for_charts="district"),
            cll.CustomLevel(_STREET_SQL, label_for_charts="street"),
            cll.CustomLevel(_BUILDING_SQL, label_for_charts="building"),
            cll.CustomLevel(_TOWN_SQL, label_for_charts="town"),
            cll.ElseLevel().configure(label_for_charts="else"),
        ],
    )
    parts = [_part_comparison("number", "b_number", slips=False), _part_comparison("street", "b_street", slips=True),
             _part_comparison("town", "town", slips=True, tf=True)]
    if not strong_ids:
        return [given, surname, dob, sex, address, *parts]
    nhs = CustomComparison(
        output_column_name="nhs",
        comparison_levels=[
            cll.CustomLevel("nhs_l IS NULL OR nhs_r IS NULL", label_for_charts="null").configure(is_null_level=True),
            cll.CustomLevel("nhs_l = nhs_r", label_for_charts="agree"),
            cll.ElseLevel().configure(label_for_charts="disagree"),
        ],
    )
    agency_id = CustomComparison(
        output_column_name="agency_id",
        comparison_levels=[
            cll.CustomLevel("agency_l <> agency_r OR agency_person_id_l IS NULL OR agency_person_id_r IS NULL",
                            label_for_charts="null").configure(is_null_level=True),
            cll.CustomLevel("agency_person_id_l = agency_person_id_r", label_for_charts="agree"),
            cll.ElseLevel().configure(label_for_charts="disagree"),
        ],
    )
    return [given, surname, dob, sex, address, *parts, nhs, agency_id]


def train_model(
    features: Sequence[MentionFeatures],
    *,
    base: LinkageModel | None = None,
    version: str,
    max_pairs: float = 2e6,
    em_max_pairs: float = 2e7,
    seed: int = 1,
) -> LinkageModel:
    """Estimate m/u, the prior and name frequencies from stored mentions; returns a new model version."""
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    base = base or LinkageModel()
    frame = features_table(features)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=[block_on("nhs"), block_on("dob"), block_on("family", "postcode")],
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nhs"), block_on("given_first", "family", "dob")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in (block_on("dob"), block_on("given_first", "family")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
            )
        except Exception:  # noqa: BLE001 - a session with too few pairs leaves the defaults in place
            logger.warning("EM session %s did not converge; keeping earlier estimates", rule, exc_info=True)
    trained = linker.misc.save_model_to_json()
    levels = {k: dict(v) for k, v in base.levels.items()}
    for comparison in trained["comparisons"]:
        name = comparison["output_column_name"]
        if name not in TRAINED_FIELDS:
            continue
        for level in comparison["comparison_levels"]:
            label = level.get("label_for_charts")
            m, u = level.get("m_probability"), level.get("u_probability")
            if label in levels[name] and label != "swapped" and m is not None and u is not None:
                levels[name][label] = (_clamp(float(m), M_FLOOR), _clamp(float(u), U_FLOOR))
    for name, m_u in swapped_levels(levels).items():
        levels[name]["swapped"] = m_u
    term_frequencies = {
        "given": _frequencies(f.given[0] for f in features if f.given),
        "surname": _frequencies(f.family for f in features if f.family),
        "town": _frequencies(f.town for f in features if f.town),
    }
    return replace(
        base,
        version=version,
        levels=levels,
        prior=float(trained.get("probability_two_random_records_match", base.prior)),
        term_frequencies=term_frequencies,
        trained_on={"mentions": len(features), "trained_at": dt.datetime.now(dt.UTC).isoformat(), "engine": "splink-duckdb"},
    )


def _clamp(p: float, floor: float) -> float:
    return min(max(p, floor), 1 - floor)


def _frequencies(values: Any) -> dict[str, float]:
    counts = Counter(values)
    total = sum(counts.values()) or 1
    return {value: n / total for value, n in counts.items()}


#: Splink's prediction blocking for batch scoring (and for the benchmark's ``predict_between``).
PREDICTION_RULES = (("nhs",), ("family", "dob"), ("given_first", "dob"), ("family", "postcode"),
                    ("given_first", "postcode"), ("given_first", "family"))


def splink_settings(model: LinkageModel, *, dialect: str = "duckdb") -> dict[str, Any]:
    """Splink settings for ``model``: the SQL twins of ``domain.scoring``'s comparisons with its m/u and prior."""
    from splink import SettingsCreator, block_on

    creator = SettingsCreator(link_type="dedupe_only", comparisons=_comparisons(strong_ids=True),
                              blocking_rules_to_generate_predictions=[block_on(*rule) for rule in PREDICTION_RULES],
                              retain_intermediate_calculation_columns=False)
    template = creator.create_settings_dict(sql_dialect_str=dialect)
    template["probability_two_random_records_match"] = model.prior
    for comparison in template["comparisons"]:
        name = comparison["output_column_name"]
        levels = model.levels.get(name, {})
        for level in comparison["comparison_levels"]:
            level["sql_condition"] = in_dialect(level["sql_condition"], dialect)
            m_u = levels.get(level.get("label_for_charts", ""))
            if m_u is not None and not level.get("is_null_level"):
                level["m_probability"], level["u_probability"] = m_u
            if level.get("tf_adjustment_column"):
                if model.term_frequencies.get(name):
                    # The model's own name frequencies (``register_term_frequencies``), floored as in Python.
                    level["tf_minimum_u_value"] = model.tf_minimum
                else:
                    # No frequencies in the model: the Python scorer uses plain u, and so does Splink.
                    for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                        level.pop(key, None)
    return template


#: The column each TF comparison reads its value from (``features_table``).
TF_COLUMNS = {"given": "given_first", "surname": "family", "town": "town"}


def register_term_frequencies(linker: Any, db_api: Any, model: LinkageModel) -> None:
    """Give Splink the model's name frequencies, so that batch scores match the in-process scorer's."""
    import pyarrow as pa

    for name, column in TF_COLUMNS.items():
        frequencies = model.term_frequencies.get(name)
        if not frequencies:
            continue
        table = pa.table({column: pa.array(list(frequencies), pa.string()),
                          f"tf_{column}": pa.array(list(frequencies.values()), pa.float64())})
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)


def splink_scored_pairs(features: Sequence[MentionFeatures], model: LinkageModel) -> list[tuple[int, int, float]]:
    """Candidate pairs scored by Splink (DuckDB) with ``model``'s m/u and prior: ``(i, j, probability)``
    indexes into ``features``, every pair at or above the review threshold. Batch only: real time uses
    the in-process scorer."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI()
    linker = Linker(db_api.register(features_table(features)), splink_settings(model), log_level=logging.WARNING)
    register_term_frequencies(linker, db_api, model)
    predictions = linker.inference.predict(threshold_match_probability=model.review_at).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    return [(int(a), int(b), float(p)) for a, b, p in
            predictions[["unique_id_l", "unique_id_r", "match_probability"]].itertuples(index=False)]
