"""Is this line a record? The checks of interchange contract v1 §1, as one pure function.

``check_line`` takes one physical line of a feed (bytes) and returns a :class:`LineCheck`:
either an accepted record (with any *warnings* about doubtful values) or the *problems*
that quarantine it. Every problem is listed, each worded so that the sender can fix it
("people[0].date_of_birth '2015-02-30' is not a real date"). ``check_item`` does the same
for an already-parsed JSON value (an item of an HTTP API array).

The schema is the package's own copy of ``record-v1.schema.json``, applied with format
assertion. ``jsonschema-rs`` validates when installed (about 100 times faster); the pure
Python ``jsonschema`` is the fallback. Both feed one neutral :class:`Violation`, so the
wording of problems never depends on which one ran.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from openmash.intake.domain.localtime import local_date
from openmash.intake.domain.record import (
    AGENCIES,
    KINDS,
    ROLES,
    Record,
    is_doubtful_date_of_birth,
    normalise_nhs_number,
    normalise_postcode,
    parse_datetime,
)

SCHEMA_FILE: Final = Path(__file__).with_name("record-v1.schema.json")
BOM: Final = b"\xef\xbb\xbf"
#: Quarantined lines of these kinds (or whose kind cannot be read) become a data-quality task (§1).
SAFEGUARDING_KINDS: Final = frozenset({"da_incident", "marac_referral", "csc_contact", "csc_referral", "police_incident"})
#: Largest version the database stores (a signed 64-bit integer).
MAX_VERSION: Final = 2**63 - 1

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class LineCheck:
    """The verdict on one line: accepted (``record`` set, maybe with ``warnings``) or quarantined (``problems``)."""

    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The parsed JSON object, ``version`` normalised to an int; None when the line is not a JSON object.
    data: dict[str, Any] | None = None
    record: Record | None = None
    #: What could be read even from a bad line (None where it cannot): for the report and the sender.
    agency: str | None = None
    record_id: str | None = None
    kind: str | None = None
    #: True when ``data`` is exactly the line's JSON (nothing normalised): the line's text can stand for it.
    data_is_verbatim: bool = False

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def is_safeguarding(self) -> bool:
        """A quarantined line that may hold a safeguarding record: its kind is unreadable or one of §1's."""
        return self.kind is None or self.kind in SAFEGUARDING_KINDS


def is_blank(raw: bytes, *, first_line: bool = False) -> bool:
    """Blank and whitespace-only lines are ignored; they still count as lines (§1)."""
    if first_line and raw.startswith(BOM):
        raw = raw[len(BOM):]
    return not raw.strip()


def check_line(raw: bytes, *, first_line: bool = False) -> LineCheck:
    """Check one physical line (without its line break). ``first_line`` allows a leading byte order mark."""
    if first_line and raw.startswith(BOM):
        raw = raw[len(BOM):]
    problems: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 1].hex().upper()
        problems.append(f"not UTF-8: byte 0x{bad} at position {exc.start + 1} is not valid UTF-8 "
                        "(the feed must be saved as UTF-8)")
        # Read on with the bad bytes replaced, so the other problems and the record's id can still be listed.
        text = raw.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        problems.append("a byte order mark is allowed only before the first line of a file")
        text = text.lstrip("\ufeff")
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        return LineCheck(problems=(*problems, _json_problem(text, exc)))
    return _check_value(value, problems, text_escapes="\\u" in text)


def check_item(value: Any) -> LineCheck:
    """Check one already-parsed JSON value (an item of an API request array)."""
    return _check_value(value, [], text_escapes=True)


def content_hash(data: Mapping[str, Any]) -> str:
    """Hash of the record's content, blind to key order and spacing: tells a conflicting duplicate (§8)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", errors="surrogatepass")).hexdigest()


# --- parsing ---------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # 1e400: valid JSON, but no database column holds it
        raise ValueError(f"the number {text[:40]} is too large to store")
    return number


def _json_problem(text: str, exc: ValueError | RecursionError) -> str:
    if isinstance(exc, RecursionError):
        return "not JSON that can be read: nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            return "not JSON (truncated?): the line ends in the middle of a value"
        return f"not JSON: {exc.msg} (at character {exc.pos + 1})"
    return f"not JSON: {exc}"


def _check_value(value: Any, problems: list[str], *, text_escapes: bool) -> LineCheck:
    if not isinstance(value, dict):
        problems.append(f"not a JSON object: the line holds {_type_name(value)}; a record is an object {{...}}")
        return LineCheck(problems=tuple(problems))
    agency, record_id, kind = _readable_identity(value)
    if text_escapes:
        problems.extend(_unstorable_text(value))
    problems.extend(_schema_problems(value))
    record: Record | None = None
    if not problems:
        problems.extend(_semantic_problems(value))
    verbatim = False
    if not problems:
        verbatim = type(value["version"]) is int
        value["version"] = int(value["version"])  # 2.0 is the integer 2 (§1)
        try:
            record = Record.from_json(value)
        except (ValueError, OverflowError) as exc:  # e.g. year 0000, valid RFC 3339 but not a storable instant
            problems.append(f"a date or time cannot be represented: {exc}")
    if problems:
        return LineCheck(problems=tuple(problems), data=value, agency=agency, record_id=record_id, kind=kind)
    assert record is not None
    return LineCheck(warnings=tuple(record_warnings(value, record)), data=value, record=record,
                     agency=agency, record_id=record_id, kind=kind, data_is_verbatim=verbatim)


def _readable_identity(value: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    source = value.get("source")
    agency = source.get("agency") if isinstance(source, dict) else None
    record_id = value.get("record_id")
    kind = value.get("kind")
    return (
        agency[:64] if isinstance(agency, str) else None,
        record_id[:64] if isinstance(record_id, str) else None,
        kind[:64] if isinstance(kind, str) else None,
    )


def _walk_strings(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, "<key>"), key
            yield from _walk_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_strings(item, (*path, index))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable_text(value: Mapping[str, Any]) -> Iterator[str]:
    """Escapes that JSON allows but no text store can hold: NUL, and halves of a surrogate pair."""
    for path, text in _walk_strings(value):
        if "\x00" in text:
            yield f"{format_path(path)} contains a NUL character (\\u0000), which cannot be stored"
        if _SURROGATE.search(text):
            yield f"{format_path(path)} contains an unpaired surrogate escape (\\ud800-\\udfff), which is not a character"


def _semantic_problems(value: Mapping[str, Any]) -> Iterator[str]:
    """What the schema cannot say: a storable version, recorded_at ≥ occurred_at, unique refs (§1)."""
    if value["version"] > MAX_VERSION:
        yield f"version {value['version']} is larger than the largest allowed ({MAX_VERSION})"
    times: dict[str, dt.datetime] = {}
    for name in ("occurred_at", "recorded_at", "ended_at"):
        raw = value.get(name)
        if isinstance(raw, str):
            try:
                times[name] = parse_datetime(raw)
            except ValueError:
                yield f"{name} {_show(raw)} is a valid RFC 3339 date-time that OpenMASH cannot represent"
    if "occurred_at" in times and "recorded_at" in times and times["recorded_at"] < times["occurred_at"]:
        yield (f"recorded_at {_show(value['recorded_at'])} is before occurred_at {_show(value['occurred_at'])}: "
               "a version cannot be recorded before the thing happened")
    first_seen: dict[str, int] = {}
    for index, person in enumerate(value["people"]):
        ref = person["ref"]
        if ref in first_seen:
            yield (f"duplicate person ref {_show(ref)} (people[{first_seen[ref]}] and people[{index}]): "
                   "refs must be unique within a record")
        else:
            first_seen[ref] = index


# --- schema ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema violation, whichever validator found it."""

    path: Path_
    keyword: str
    instance: Any
    #: The keyword's argument: the missing property, allowed types or options, a limit, a format name.
    argument: Any = None
    #: For ``oneOf``: the violations of each branch.
    branches: tuple[tuple[Violation, ...], ...] = ()


def _schema_problems(value: Mapping[str, Any]) -> list[str]:
    return [problem for violation in _validator()(value) for problem in describe(violation)]


@cache
def _validator() -> Callable[[Any], list[Violation]]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    try:
        import jsonschema_rs
    except ImportError:
        return _python_validator(schema)
    validator = jsonschema_rs.validator_for(schema, validate_formats=True)

    def from_rs(error: Any) -> Violation:
        kind = error.kind
        name = kind.name
        argument: Any = None
        branches: tuple[tuple[Violation, ...], ...] = ()
        if name == "required":
            argument = kind.property
        elif name == "type":
            argument = tuple(kind.types)
        elif name == "enum":
            argument = tuple(kind.options)
        elif name == "const":
            argument = kind.expected_value
        elif name == "format":
            argument = kind.format
        elif hasattr(kind, "limit"):
            argument = kind.limit
        if name == "oneOf":
            branches = tuple(tuple(from_rs(sub) for sub in branch) for branch in kind.context)
        return Violation(tuple(error.instance_path), name, error.instance, argument, branches)

    def validate(value: Any) -> list[Violation]:
        try:
            if validator.is_valid(value):
                return []
            return [from_rs(error) for error in validator.iter_errors(value)]
        except (ValueError, OverflowError, TypeError):
            # Values the Rust validator cannot take in (huge integers, unpaired surrogates): the slow one can.
            # Built only then: importing jsonschema's format checkers costs seconds at start-up.
            return _python_validator(schema)(value)

    return validate


def _python_validator(schema: Mapping[str, Any]) -> Callable[[Any], list[Violation]]:
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(schema, format_checker=FormatChecker())

    def convert(error: Any) -> list[Violation]:
        path = tuple(error.absolute_path)
        keyword = error.validator
        if keyword == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            return [Violation(path, keyword, error.instance, name) for name in missing[:1] or error.validator_value[:1]]
        if keyword == "type":
            types = error.validator_value
            return [Violation(path, keyword, error.instance, tuple([types] if isinstance(types, str) else types))]
        if keyword == "oneOf":
            grouped: dict[int, list[Violation]] = {}
            for sub in error.context or ():
                grouped.setdefault(sub.schema_path[0], []).extend(convert(sub))
            branches = tuple(tuple(grouped.get(i, [])) for i in range(len(error.validator_value)))
            return [Violation(path, keyword, error.instance, None, branches)]
        argument = tuple(error.validator_value) if keyword == "enum" else error.validator_value
        return [Violation(path, keyword, error.instance, argument)]

    def validate(value: Any) -> list[Violation]:
        if validator.is_valid(value):
            return []
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
        # The Python validator reports a missing property once per missing name; dedupe by what we print.
        seen: set[tuple[Path_, str, str]] = set()
        out: list[Violation] = []
        for error in errors:
            for violation in convert(error):
                key = (violation.path, violation.keyword, repr(violation.argument))
                if key not in seen:
                    seen.add(key)
                    out.append(violation)
        return out

    return validate


_REAL_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def describe(violation: Violation) -> list[str]:
    """The violation in words a sender can act on."""
    where = format_path(violation.path)
    value, arg, keyword = violation.instance, violation.argument, violation.keyword
    last = violation.path[-1] if violation.path else None
    if keyword == "required":
        return [f"missing required field {format_path((*violation.path, arg))}"]
    if keyword == "type":
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in arg)
        return [f"{where} is not {wanted} (it is {_type_name(value)})"]
    if keyword == "enum":
        if last == "kind" and len(violation.path) == 1:
            return [f"unknown kind {_show(value)} (not one of the {len(KINDS)} kinds of contract §5)"]
        if last in ("role", "agency"):
            noun, allowed = ("role", ROLES) if last == "role" else ("agency code", AGENCIES)
            return [f"{where} {_show(value)} is an unknown {noun} (expected one of: {', '.join(allowed)})"]
        return [f"{where} {_show(value)} is not one of: {', '.join(_show(o) for o in arg)}"]
    if keyword == "const":
        return [f"{where} must be {_show(arg)} (it is {_show(value)})"]
    if keyword == "format":
        if arg == "date":
            if isinstance(value, str) and _REAL_DATE_SHAPE.match(value):
                return [f"{where} {_show(value)} is not a real date"]
            return [f"{where} {_show(value)} does not parse as a date (expected YYYY-MM-DD, e.g. 2015-02-28)"]
        if arg == "date-time":
            return [f"{where} {_show(value)} does not parse as an RFC 3339 date-time with an offset "
                    "(e.g. 2024-12-31T23:10:00Z or 2024-12-31T23:10:00+01:00)"]
        return [f"{where} {_show(value)} is not a valid {arg}"]
    if keyword == "maxLength":
        return [f"{where} is {len(value):,} characters long, longer than the {arg:,} allowed (it is never truncated)"]
    if keyword == "minLength":
        return [f"{where} is empty" if arg == 1 else f"{where} is shorter than {arg} characters"]
    if keyword == "minItems":
        if violation.path == ("people",):
            return ["people is empty: a record names at least one person"]
        return [f"{where} has fewer than {arg} items"]
    if keyword == "minimum":
        return [f"{where} is {value}, less than the minimum of {arg}"]
    if keyword == "maximum":
        return [f"{where} is {value}, more than the maximum of {arg}"]
    if keyword == "oneOf":
        if isinstance(value, dict) and violation.branches:
            # The object branch explains what is wrong inside the address; the null branch adds nothing.
            inner = [p for v in violation.branches[0] for p in describe(v)]
            if inner:
                return inner
        return [f"{where} is not an address object or null (it is {_type_name(value)})"]
    return [f"{where} is not valid ({keyword})"]


_TYPE_WORDS: Final = {
    "object": "an object", "array": "an array", "string": "a string", "integer": "an integer",
    "number": "a number", "boolean": "true or false", "null": "null",
}


def format_path(path: Sequence[str | int]) -> str:
    """``('people', 1, 'date_of_birth')`` → ``people[1].date_of_birth``; the root is "the record"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "the record"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"a string {_show(value)}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    return type(value).__name__


def _show(value: Any, limit: int = 60) -> str:
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return "'" + text + "'"
    return json.dumps(value, ensure_ascii=False)[:limit]


# --- warnings --------------------------------------------------------------------------------------------------

OFFICER_RISKS: Final = frozenset({"standard", "medium", "high"})
DASH_ANSWERS: Final = frozenset({"yes", "no", "not_known"})
DASH_QUESTIONS: Final = frozenset(str(n) for n in range(1, 28))
POWERS: Final = frozenset({"arrest", "bail_conditions", "dvpn", "dvpo", "dapn", "dapo", "restraining_order", "none"})
CSC_CONTACT_OUTCOMES: Final = frozenset({"nfa", "advice", "early_help", "referral"})
CSC_REFERRAL_OUTCOMES: Final = frozenset({"assessment", "s47", "nfa"})
CP_CATEGORIES: Final = frozenset({"neglect", "physical", "sexual", "emotional", "multiple"})
MARAC_CRITERIA: Final = frozenset({"visible_high_risk", "professional_judgement", "potential_escalation"})
CHILD_ROLES: Final = frozenset({"child_present", "child_in_household"})


def record_warnings(data: Mapping[str, Any], record: Record) -> list[str]:
    """Doubtful values (§1): the record is accepted, each is reported and none is trusted."""
    out: list[str] = []
    day = local_date(record.occurred_at)
    if record.ended_at is not None and record.ended_at < record.occurred_at:
        out.append(f"ended_at {_show(data['ended_at'])} is before occurred_at {_show(data['occurred_at'])}: "
                   "the span is treated as never open")
    out.extend(_postcode_warning("address", data.get("address")))
    valid_nhs: dict[str, int] = {}
    for index, (raw, person) in enumerate(zip(data["people"], record.people, strict=True)):
        where = f"people[{index}]"
        nhs = raw.get("nhs_number")
        if isinstance(nhs, str) and nhs.strip():
            number = normalise_nhs_number(nhs)
            if number is None:
                out.append(f"{where}.nhs_number {_show(nhs)} is not a valid NHS number (10 digits passing the "
                           "modulus 11 check): kept as recorded, never used for matching")
            elif number in valid_nhs:
                out.append(f"people[{valid_nhs[number]}] and {where} share NHS number {number}: "
                           "they are treated as one person")
            else:
                valid_nhs[number] = index
        dob = person.date_of_birth
        if dob is not None and is_doubtful_date_of_birth(dob, record.occurred_at):
            why = "after the record's date" if dob > day else "more than 120 years before the record's date"
            out.append(f"{where}.date_of_birth {dob.isoformat()} is {why} ({day.isoformat()}): "
                       "kept, but not trusted for linking or ages")
        elif dob is not None and person.role in CHILD_ROLES and age_on(dob, day) >= 18:
            out.append(f"{where} is named {person.role} but is {age_on(dob, day)} on {day.isoformat()} "
                       f"by date of birth {dob.isoformat()}")
        out.extend(_postcode_warning(f"{where}.address", raw.get("address")))
    out.extend(details_warnings(record.kind, data.get("details") or {}, {p.ref for p in record.people}))
    return out


def age_on(dob: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (a 29 February birthday is reached on 1 March in common years)."""
    years = day.year - dob.year
    if (day.month, day.day) < (dob.month, dob.day):
        years -= 1
    return years


def _postcode_warning(where: str, address: Any) -> Iterator[str]:
    if isinstance(address, dict):
        postcode = address.get("postcode")
        if isinstance(postcode, str) and postcode.strip() and normalise_postcode(postcode) is None:
            yield f"{where}.postcode {_show(postcode)} is not a UK postcode: treated as missing"


def details_warnings(kind: str, details: Mapping[str, Any], refs: set[str]) -> list[str]:
    """``details`` values outside the lists of §5, by kind; unknown keys are kept without a warning."""
    out: list[str] = []

    def one_of(key: str, allowed: frozenset[str]) -> None:
        if key in details and details[key] is not None and details[key] not in allowed:
            out.append(f"details.{key} {_show(details[key])} is not one of: {', '.join(sorted(allowed))}")

    def all_of(key: str, allowed: Iterable[str]) -> None:
        values = details.get(key)
        if values is None:
            return
        allowed_set = frozenset(allowed)
        if not isinstance(values, list):
            out.append(f"details.{key} is not an array")
            return
        for index, item in enumerate(values):
            if item not in allowed_set:
                out.append(f"details.{key}[{index}] {_show(item)} is not one of: {', '.join(sorted(allowed_set))}")

    def boolean(key: str, value: Any, where: str) -> None:
        if key in value and value[key] is not None and not isinstance(value[key], bool):
            out.append(f"{where}.{key} {_show(value[key])} is not true or false")

    if kind == "da_incident":
        one_of("officer_risk", OFFICER_RISKS)
        all_of("powers_used", POWERS)
        boolean("stop_abuse_concern", details, "details")
        _dash_warnings(details.get("dash"), out, boolean)
        _children_seen_warnings(details.get("children_seen"), refs, out, boolean)
    elif kind == "csc_contact":
        one_of("outcome", CSC_CONTACT_OUTCOMES)
    elif kind == "csc_referral":
        one_of("outcome", CSC_REFERRAL_OUTCOMES)
    elif kind == "cp_plan":
        one_of("category", CP_CATEGORIES)
    elif kind == "marac_referral":
        all_of("criteria", MARAC_CRITERIA)
    elif kind == "strategy_discussion":
        all_of("agencies_present", AGENCIES)
    return out


def _dash_warnings(dash: Any, out: list[str], boolean: Callable[[str, Any, str], None]) -> None:
    if dash is None:
        return
    if not isinstance(dash, dict):
        out.append("details.dash is not an object")
        return
    boolean("completed", dash, "details.dash")
    answers = dash.get("answers")
    if answers is None:
        return
    if not isinstance(answers, dict):
        out.append("details.dash.answers is not an object")
        return
    for question, answer in answers.items():
        if question not in DASH_QUESTIONS:
            out.append(f"details.dash.answers has question {_show(question)}, outside '1'-'27'")
        elif answer not in DASH_ANSWERS:
            out.append(f"details.dash.answers[{_show(question)}] {_show(answer)} is not one of: no, not_known, yes")


def _children_seen_warnings(
    children: Any, refs: set[str], out: list[str], boolean: Callable[[str, Any, str], None]
) -> None:
    if children is None:
        return
    if not isinstance(children, list):
        out.append("details.children_seen is not an array")
        return
    for index, child in enumerate(children):
        where = f"details.children_seen[{index}]"
        if not isinstance(child, dict):
            out.append(f"{where} is not an object")
            continue
        if child.get("ref") not in refs:
            out.append(f"{where}.ref {_show(child.get('ref'))} names no person in the record")
        boolean("seen", child, where)

