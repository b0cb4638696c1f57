"""The joint protocol as data (``protocol-default.md`` §7).

An area edits a policy file, not code. This module turns that file into typed,
frozen values and says clearly what is wrong with it when it cannot. Rules
elsewhere in ``protocol.domain`` read every number, age band, deadline,
recipient and content level from a :class:`Policy`; none is written in code.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openmash.intake.domain.record import AGENCIES, ROLES, SPAN_KINDS

PRIORITIES: Final = ("immediate", "same_day", "next_working_day", "routine")
DEADLINE_KINDS: Final = ("immediate", "same_day", "next_working_day", "school", "routine")
LEVELS: Final = ("standard", "medium", "high")
CONTENT_LEVELS: Final = ("minimal", "health", "full")
ALERT_CODES: Final = (
    "REPEAT_INCIDENTS", "PERPETRATOR_NEW_HOUSEHOLD", "REPEAT_CONTACTS", "SUPERVISED_ADULT_WITH_CHILDREN",
    "UNBORN_CHILD_DA",
)
#: The rules a row may name in ``when``, with the parameters each one reads.
ROW_RULES: Final[Mapping[str, frozenset[str]]] = {
    "child_involved": frozenset(),
    "victim_under_age": frozenset({"below_age"}),
    "child_in_age_band": frozenset({"min_age", "max_age"}),
    "child_with_school": frozenset(),
    "pregnant_woman_involved": frozenset(),
    "level_high": frozenset(),
    "repeat_marac": frozenset(),
    "open_span": frozenset({"span_kind", "needs_child"}),
    "gp_at_high_risk": frozenset(),
}
#: Content keys every level may carry (``interchange-v1.md`` §7).
CONTENT_KEYS: Final = frozenset({
    "incident_at", "police_reference", "police_contact", "children", "people", "incident_address", "level",
    "level_criteria", "dash_yes", "children_seen", "offences", "powers_used", "history_summary", "record",
    "history", "history_withheld",
})
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_URGENCY = {p: i for i, p in enumerate(PRIORITIES)}
DEFAULT_POLICY_RESOURCE: Final = "default-protocol.toml"
DEFAULT_CONFIDENTIAL_NOTE: Final = "supervised person / perpetrator linked to a confidential address"


class PolicyError(ValueError):
    """A policy file that cannot be used; ``problems`` names every fault with its place in the file."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid policy:\n" + "\n".join(f"  - {p}" for p in self.problems))


def most_urgent(priorities: Sequence[str]) -> str:
    """`immediate`, then `same_day`, then `next_working_day`, then `routine` (§2.4)."""
    return min(priorities, key=_URGENCY.__getitem__)


def highest_content_level(levels: Sequence[str]) -> str:
    return max(levels, key=CONTENT_LEVELS.index)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the §2 table: when it fires, whom it notifies, how urgently, with what content."""

    reason: str
    when: str
    recipient: str
    priority: str
    content_level: str
    priority_high: str | None = None
    due: str | None = None
    below_age: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    span_kind: str | None = None
    needs_child: bool = False

    def priority_for(self, level: str) -> str:
        return self.priority_high if level == "high" and self.priority_high else self.priority

    def deadline_for(self, level: str) -> str:
        """The deadline kind: the row's override (the school's 08:30), else the priority's own."""
        return self.due or self.priority_for(level)


@dataclass(frozen=True, slots=True)
class People:
    child_under: int = 18
    child_roles: tuple[str, ...] = ("child_present", "child_in_household")
    domestic_abuse_min_age: int = 16


@dataclass(frozen=True, slots=True)
class Risk:
    dash_tool: str = "police_dash"
    dash_version: str = "2009"
    dash_questions: int = 27
    dash_yes_value: str = "yes"
    visible_high_risk_min_yes: int = 14
    potential_escalation_min_incidents: int = 3
    potential_escalation_window_months: int = 12
    potential_escalation_roles: tuple[str, ...] = ("victim", "perpetrator")
    repeat_marac_window_months: int = 12
    officer_grades: tuple[str, ...] = LEVELS
    default_level: str = "standard"


@dataclass(frozen=True, slots=True)
class Deadlines:
    timezone: str = "Europe/London"
    immediate_hours: int = 1
    same_day_hours: int = 24
    next_working_day_time: dt.time = dt.time(17, 0)
    school_time: dt.time = dt.time(8, 30)
    routine_working_days: int = 5

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class BankHolidays:
    country: str = "GB"
    subdivision: str | None = "ENG"
    add: frozenset[dt.date] = frozenset()
    remove: frozenset[dt.date] = frozenset()


@dataclass(frozen=True, slots=True)
class Options:
    csc_for_unborn_at_high: bool = False
    school_same_day_before: dt.time | None = None
    pnh_on_birth: bool = False


@dataclass(frozen=True, slots=True)
class PoliceContact:
    team: str
    telephone: str

    def as_json(self) -> dict[str, str]:
        return {"team": self.team, "telephone": self.telephone}


@dataclass(frozen=True, slots=True)
class TeamMap:
    """`recipient_teams` for one agency: teams by the postcode district of the subject's address.

    ``by = "directory"`` takes the districts from the hub's directory of teams instead of the file.
    """

    by: str = "postcode_district"
    teams: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None

    def team_for(self, postcode: str | None) -> str | None:
        if postcode:
            district = postcode[:-3] if len(postcode) > 3 else postcode
            if district in self.teams:
                return self.teams[district]
        return self.default


@dataclass(frozen=True, slots=True)
class Confidentiality:
    may_see_confidential: frozenset[str] = frozenset(
        {"csc", "idva", "marac", "health_visiting", "midwifery", "school_nursing", "gp"})
    child_perpetrator_facing_rows: frozenset[str] = frozenset(
        {"GP_HIGH_RISK", "SCHOOL_NURSING_SCHOOL_AGE", "SCHOOL_ENCOMPASS"})
    withheld_text: str = "[address withheld]"
    withheld_reason: str = "confidential address"

    def is_barred(self, agency: str) -> bool:
        return agency not in self.may_see_confidential


@dataclass(frozen=True, slots=True)
class Content:
    levels: tuple[str, ...] = CONTENT_LEVELS
    keys: Mapping[str, frozenset[str]] = field(default_factory=dict)
    plan_kinds: tuple[str, ...] = ("cp_plan", "cin_plan")

    def keys_for(self, level: str) -> frozenset[str]:
        """A level carries its keys and those of the levels before it."""
        carried: set[str] = set()
        for name in self.levels[: self.levels.index(level) + 1]:
            carried |= self.keys.get(name, frozenset())
        return frozenset(carried)


@dataclass(frozen=True, slots=True)
class Threshold:
    count: int
    months: int


@dataclass(frozen=True, slots=True)
class Alerts:
    recipients: Mapping[str, str]
    repeat_incidents: tuple[Threshold, ...] = (Threshold(3, 12), Threshold(5, 48))
    repeat_contacts: Threshold = Threshold(3, 12)
    repeat_contacts_excluded_outcomes: frozenset[str] = frozenset({"referral"})
    supervision_kind: str = "probation_supervision"
    unborn_child_da_months: int = 12
    confidential_redirect_to: str = "csc"
    confidential_note: str = DEFAULT_CONFIDENTIAL_NOTE

    def enabled(self, code: str) -> bool:
        return code in self.recipients


@dataclass(frozen=True, slots=True)
class Escalation:
    reason: str = "ESCALATION_UNACKNOWLEDGED"
    priority: str = "immediate"
    front_door_agency: str = "csc"
    front_door_team: str = "front_door"


@dataclass(frozen=True, slots=True)
class Triage:
    level_order: tuple[str, ...] = ("high", "medium", "standard")
    decision_outcomes: tuple[str, ...] = ("referral", "early_help", "nfa", "advice")


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    version: int
    people: People
    risk: Risk
    deadlines: Deadlines
    bank_holidays: BankHolidays
    pregnancy_grace_days: int
    options: Options
    police_contact_point: PoliceContact
    recipient_teams: Mapping[str, TeamMap]
    confidentiality: Confidentiality
    content: Content
    rows: tuple[Row, ...]
    alerts: Alerts
    escalation: Escalation
    triage: Triage

    def rows_for(self, when: str) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.when == when)

    def row(self, reason: str) -> Row | None:
        return next((r for r in self.rows if r.reason == reason), None)


# --- loading and validation -------------------------------------------------------------------


class _Reader:
    """Reads one table of the file, collecting problems with their dotted place instead of stopping."""

    def __init__(self, data: Mapping[str, Any], where: str, problems: list[str]) -> None:
        self.data, self.where, self.problems = data, where, problems
        self.seen: set[str] = set()

    def _place(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{self._place(key)}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, *, required: bool = False) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if required:
                self.problem(key, "is required")
            return default
        value = self.data[key]
        # bool is an int in Python; a number where a switch is expected (or the reverse) is a mistake.
        if isinstance(value, bool) != (kind is bool or (isinstance(kind, tuple) and bool in kind)) or not isinstance(
            value, kind
        ):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            self.problem(key, f"must be {names}, not {type(value).__name__} {value!r}")
            return default
        return value

    def integer(self, key: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        value: int = self.get(key, int, default)
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            self.problem(key, f"must be at least {minimum}{upper}, not {value}")
            return default
        return value

    def choice(self, key: str, allowed: Sequence[str], default: str | None, *, required: bool = False) -> str | None:
        value: str | None = self.get(key, str, default, required=required)
        if value is not None and value not in allowed:
            self.problem(key, f"{value!r} is not one of {', '.join(allowed)}")
            return default
        return value

    def choices(self, key: str, allowed: Sequence[str], default: Sequence[str]) -> tuple[str, ...]:
        values = self.get(key, list, list(default))
        out: list[str] = []
        for i, v in enumerate(values):
            if not isinstance(v, str) or v not in allowed:
                self.problem(f"{key}[{i}]", f"{v!r} is not one of {', '.join(allowed)}")
            else:
                out.append(v)
        return tuple(out)

    def time(self, key: str, default: dt.time | None, *, allow_empty: bool = False) -> dt.time | None:
        value = self.get(key, str, None)
        if value is None:
            return default
        if allow_empty and value == "":
            return None
        match = _TIME.match(value)
        if not match:
            self.problem(key, f"{value!r} is not a local time HH:MM")
            return default
        return dt.time(int(match.group(1)), int(match.group(2)))

    def dates(self, key: str) -> frozenset[dt.date]:
        out: set[dt.date] = set()
        for i, v in enumerate(self.get(key, list, [])):
            try:
                out.add(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))
            except ValueError:
                self.problem(f"{key}[{i}]", f"{v!r} is not a date YYYY-MM-DD")
        return frozenset(out)

    def table(self, key: str, *, required: bool = False) -> _Reader:
        value = self.get(key, dict, {}, required=required)
        return _Reader(value, self._place(key), self.problems)

    def finish(self) -> None:
        for key in self.data:
            if key not in self.seen:
                self.problem(key, "is not a setting of this protocol version (misspelt?)")


def load_policy(path: str | Path | None = None) -> Policy:
    """Load and validate a policy file; the shipped default when no path is given."""
    if path is None:
        text = resources.files("openmash.protocol.policy").joinpath(DEFAULT_POLICY_RESOURCE).read_text("utf-8")
        return parse_policy(text, source=DEFAULT_POLICY_RESOURCE)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError([f"{path}: cannot be read ({exc})"]) from exc
    return parse_policy(text, source=str(path))


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"{source}: not valid TOML ({exc})"]) from exc
    problems: list[str] = []
    policy = _build(_Reader(data, "", problems))
    if problems or policy is None:
        raise PolicyError(problems)
    return policy


def _build(top: _Reader) -> Policy | None:
    head = top.table("protocol", required=True)
    name = head.get("name", str, "", required=True)
    version = head.integer("version", 1, minimum=1)
    head.finish()

    p = top.table("people")
    people = People(
        child_under=p.integer("child_under", 18, minimum=1, maximum=25),
        child_roles=p.choices("child_roles", ROLES, ("child_present", "child_in_household")),
        domestic_abuse_min_age=p.integer("domestic_abuse_min_age", 16, maximum=25),
    )
    p.finish()

    r = top.table("risk")
    risk = Risk(
        dash_tool=r.get("dash_tool", str, "police_dash"),
        dash_version=r.get("dash_version", str, "2009"),
        dash_questions=r.integer("dash_questions", 27, minimum=1, maximum=100),
        dash_yes_value=r.get("dash_yes_value", str, "yes"),
        visible_high_risk_min_yes=r.integer("visible_high_risk_min_yes", 14, minimum=1),
        potential_escalation_min_incidents=r.integer("potential_escalation_min_incidents", 3, minimum=1),
        potential_escalation_window_months=r.integer("potential_escalation_window_months", 12, minimum=1),
        potential_escalation_roles=r.choices("potential_escalation_roles", ROLES, ("victim", "perpetrator")),
        repeat_marac_window_months=r.integer("repeat_marac_window_months", 12, minimum=1),
        officer_grades=r.choices("officer_grades", LEVELS, LEVELS),
        default_level=r.choice("default_level", LEVELS, "standard") or "standard",
    )
    r.finish()
    if risk.visible_high_risk_min_yes > risk.dash_questions:
        top.problem("risk.visible_high_risk_min_yes", f"cannot exceed dash_questions ({risk.dash_questions})")

    d = top.table("deadlines")
    zone = d.get("timezone", str, "Europe/London")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        d.problem("timezone", f"{zone!r} is not a known time zone")
        zone = "Europe/London"
    deadlines = Deadlines(
        timezone=zone,
        immediate_hours=d.integer("immediate_hours", 1, minimum=1),
        same_day_hours=d.integer("same_day_hours", 24, minimum=1),
        next_working_day_time=d.time("next_working_day_time", dt.time(17, 0)) or dt.time(17, 0),
        school_time=d.time("school_time", dt.time(8, 30)) or dt.time(8, 30),
        routine_working_days=d.integer("routine_working_days", 5, minimum=1),
    )
    d.finish()

    b = top.table("bank_holidays")
    holidays = BankHolidays(
        country=b.get("country", str, "GB"),
        subdivision=b.get("subdivision", str, "ENG") or None,
        add=b.dates("add"),
        remove=b.dates("remove"),
    )
    b.finish()

    g = top.table("pregnancy")
    grace = g.integer("grace_days", 0, maximum=366)
    g.finish()

    o = top.table("options")
    options = Options(
        csc_for_unborn_at_high=o.get("csc_for_unborn_at_high", bool, False),
        school_same_day_before=o.time("school_same_day_before", None, allow_empty=True),
        pnh_on_birth=o.get("pnh_on_birth", bool, False),
    )
    o.finish()

    c = top.table("police_contact_point", required=True)
    contact = PoliceContact(c.get("team", str, "", required=True), c.get("telephone", str, "", required=True))
    c.finish()

    teams = _recipient_teams(top.table("recipient_teams"))
    confidentiality = _confidentiality(top.table("confidentiality"))
    content = _content(top.table("content", required=True))
    rows = _rows(top, top.get("rows", list, [], required=True))
    alerts = _alerts(top.table("alerts"))

    e = top.table("escalation")
    escalation = Escalation(
        reason=e.get("reason", str, "ESCALATION_UNACKNOWLEDGED"),
        priority=e.choice("priority", PRIORITIES, "immediate") or "immediate",
        front_door_agency=e.choice("front_door_agency", AGENCIES, "csc") or "csc",
        front_door_team=e.get("front_door_team", str, "front_door"),
    )
    e.finish()

    t = top.table("triage")
    triage = Triage(
        level_order=t.choices("level_order", LEVELS, ("high", "medium", "standard")),
        decision_outcomes=tuple(t.get("decision_outcomes", list, ["referral", "early_help", "nfa", "advice"])),
    )
    t.finish()
    top.finish()
    return Policy(
        name=name, version=version, people=people, risk=risk, deadlines=deadlines, bank_holidays=holidays,
        pregnancy_grace_days=grace, options=options, police_contact_point=contact, recipient_teams=teams,
        confidentiality=confidentiality, content=content, rows=rows, alerts=alerts, escalation=escalation,
        triage=triage,
    )


def _recipient_teams(reader: _Reader) -> Mapping[str, TeamMap]:
    out: dict[str, TeamMap] = {}
    for agency in list(reader.data):
        if agency in ("school", "gp", "probation") or agency not in AGENCIES:
            reader.problem(agency, "must be an agency code other than school, gp and probation (§2.4)")
            reader.seen.add(agency)
            continue
        t = reader.table(agency)
        by = t.choice("by", ("postcode_district", "directory"), "postcode_district") or "postcode_district"
        raw = t.get("teams", dict, {})
        teams = {str(k).upper(): str(v) for k, v in raw.items()}
        out[agency] = TeamMap(by=by, teams=teams, default=t.get("default", str, None))
        t.finish()
    return out


def _confidentiality(c: _Reader) -> Confidentiality:
    default = Confidentiality()
    result = Confidentiality(
        may_see_confidential=frozenset(c.choices("may_see_confidential", AGENCIES, sorted(default.may_see_confidential))),
        child_perpetrator_facing_rows=frozenset(
            c.get("child_perpetrator_facing_rows", list, sorted(default.child_perpetrator_facing_rows))),
        withheld_text=c.get("withheld_text", str, default.withheld_text),
        withheld_reason=c.get("withheld_reason", str, default.withheld_reason),
    )
    c.finish()
    return result


def _content(c: _Reader) -> Content:
    levels = c.choices("levels", CONTENT_LEVELS, CONTENT_LEVELS)
    if tuple(levels) != CONTENT_LEVELS:
        c.problem("levels", f"must list {', '.join(CONTENT_LEVELS)} in that order")
    keys: dict[str, frozenset[str]] = {}
    for level in CONTENT_LEVELS:
        keys[level] = frozenset(c.choices(level, sorted(CONTENT_KEYS), ()))
    plans = c.choices("plan_kinds", sorted(SPAN_KINDS), ("cp_plan", "cin_plan"))
    c.finish()
    return Content(levels=CONTENT_LEVELS, keys=keys, plan_kinds=plans)


def _rows(top: _Reader, raw_rows: list[Any]) -> tuple[Row, ...]:
    rows: list[Row] = []
    reasons: set[str] = set()
    for i, raw in enumerate(raw_rows):
        if not isinstance(raw, dict):
            top.problem(f"rows[{i}]", "must be a table ([[rows]])")
            continue
        r = _Reader(raw, f"rows[{i}]", top.problems)
        reason = r.get("reason", str, "", required=True)
        when = r.choice("when", sorted(ROW_RULES), None, required=True)
        recipient = r.choice("recipient", AGENCIES, None, required=True)
        row = Row(
            reason=reason,
            when=when or "",
            recipient=recipient or "",
            priority=r.choice("priority", PRIORITIES, "next_working_day", required=True) or "next_working_day",
            priority_high=r.choice("priority_high", PRIORITIES, None),
            due=r.choice("due", DEADLINE_KINDS, None),
            content_level=r.choice("content_level", CONTENT_LEVELS, "minimal", required=True) or "minimal",
            below_age=r.get("below_age", int, None),
            min_age=r.get("min_age", int, None),
            max_age=r.get("max_age", int, None),
            span_kind=r.choice("span_kind", sorted(SPAN_KINDS), None),
            needs_child=r.get("needs_child", bool, False),
        )
        params = {k for k in ("below_age", "min_age", "max_age", "span_kind", "needs_child") if k in raw}
        if when:
            wanted = ROW_RULES[when]
            for extra in sorted(params - wanted):
                r.problem(extra, f"is not a parameter of rule {when!r}")
            for missing in sorted(wanted - params - {"needs_child"}):
                r.problem(missing, f"is required by rule {when!r}")
        if row.min_age is not None and row.max_age is not None and row.min_age > row.max_age:
            r.problem("min_age", f"{row.min_age} is above max_age {row.max_age}")
        if reason in reasons:
            r.problem("reason", f"{reason!r} appears in more than one row")
        reasons.add(reason)
        if reason and not re.fullmatch(r"[A-Z][A-Z0-9_]*", reason):
            r.problem("reason", f"{reason!r} must be an upper-case code such as CSC_CHILD_AT_DA_INCIDENT")
        r.finish()
        rows.append(row)
    return tuple(rows)


def _alerts(a: _Reader) -> Alerts:
    recipients: dict[str, str] = {}
    values: dict[str, Any] = {}
    for code in list(a.data):
        if code == "confidential":
            continue
        if code not in ALERT_CODES:
            a.problem(code, f"is not an alert code ({', '.join(ALERT_CODES)})")
            a.seen.add(code)
            continue
        t = a.table(code)
        recipients[code] = t.choice("recipient", AGENCIES, None, required=True) or "csc"
        if code == "REPEAT_INCIDENTS":
            thresholds = []
            for i, th in enumerate(t.get("thresholds", list, [])):
                if not isinstance(th, dict) or set(th) != {"count", "months"} or not all(
                        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in th.values()):
                    t.problem(f"thresholds[{i}]", "must be {count = N, months = M} with positive whole numbers")
                    continue
                thresholds.append(Threshold(th["count"], th["months"]))
            values["repeat_incidents"] = tuple(thresholds)
        elif code == "REPEAT_CONTACTS":
            values["repeat_contacts"] = Threshold(t.integer("count", 3, minimum=1), t.integer("months", 12, minimum=1))
            values["repeat_contacts_excluded_outcomes"] = frozenset(t.get("excluded_outcomes", list, ["referral"]))
        elif code == "SUPERVISED_ADULT_WITH_CHILDREN":
            values["supervision_kind"] = t.choice("span_kind", sorted(SPAN_KINDS), "probation_supervision")
        elif code == "UNBORN_CHILD_DA":
            values["unborn_child_da_months"] = t.integer("months", 12, minimum=1)
        t.finish()
    conf = a.table("confidential")
    values["confidential_redirect_to"] = conf.choice("redirect_to", AGENCIES, "csc") or "csc"
    values["confidential_note"] = conf.get("note", str, DEFAULT_CONFIDENTIAL_NOTE)
    conf.finish()
    if values.get("confidential_redirect_to") == "probation":
        a.problem("confidential.redirect_to", "cannot be a barred agency")
    a.finish()
    return Alerts(recipients=recipients, **values)


def dump_summary(policy: Policy) -> list[str]:
    """A human summary of a valid policy, for ``openmash protocol check``."""
    lines = [f"{policy.name} (version {policy.version})"]
    lines.append(f"  child: under {policy.people.child_under}; DASH {policy.risk.dash_tool} {policy.risk.dash_version}, "
                 f"visible high risk at {policy.risk.visible_high_risk_min_yes} yes; potential escalation "
                 f"{policy.risk.potential_escalation_min_incidents} incidents in "
                 f"{policy.risk.potential_escalation_window_months} months")
    for row in policy.rows:
        prio = row.priority if not row.priority_high else f"high: {row.priority_high}, else {row.priority}"
        lines.append(f"  {row.reason:<28} {row.when:<24} -> {row.recipient:<20} {prio}; {row.content_level}"
                     + (f"; due {row.due}" if row.due else ""))
    for code, recipient in policy.alerts.recipients.items():
        lines.append(f"  alert {code:<30} -> {recipient}")
    return lines


__all__ = [
    "ALERT_CODES", "CONTENT_LEVELS", "LEVELS", "PRIORITIES", "Policy", "PolicyError", "Row", "highest_content_level",
    "load_policy", "most_urgent", "parse_policy",
]
