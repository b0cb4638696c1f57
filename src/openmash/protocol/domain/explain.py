"""``openmash protocol explain``: every rule considered for a record, whether it fired, and why."""

from __future__ import annotations

from collections.abc import Sequence

from openmash.protocol.domain.alerts import Occurrence, evaluate_alerts
from openmash.protocol.domain.deadlines import WorkingCalendar
from openmash.protocol.domain.evaluation import Evaluation
from openmash.protocol.domain.history import HistoryProvider, LinkedVersion, RecordKey
from openmash.protocol.domain.incident import IncidentAssessment, assess_incident
from openmash.protocol.domain.policy import Policy, Row
from openmash.protocol.domain.routing import fire_rows, plan_notifications


class _NothingRaised:
    def raised(self, kind: str, person_id: str | None, record: RecordKey | None) -> Sequence[Occurrence]:
        return ()


def _why_not(row: Row, a: IncidentAssessment) -> str:
    children = a.children
    if row.when == "child_involved":
        return "no child involved" + (" (an unborn child alone does not count)" if a.pregnant else "")
    if row.when == "victim_under_age":
        return f"no victim under {row.below_age}"
    if row.when == "child_in_age_band":
        return f"no child involved aged {row.min_age}-{row.max_age} or of unknown age"
    if row.when == "child_with_school":
        return "no child involved" if not children else "no school found for any child involved (§2.3)"
    if row.when == "pregnant_woman_involved":
        return "no pregnant woman involved (§2.2)"
    if row.when in ("level_high", "repeat_marac", "gp_at_high_risk"):
        if not a.risk.high:
            return f"level is {a.level}"
        if row.when == "gp_at_high_risk":
            return "no GP practice found for a victim or child involved (§2.3)"
        if row.when == "repeat_marac":
            return "no victim meets repeat MARAC (§1.8)"
        return "no victim aged 16 or over whose own level is high"
    if row.when == "open_span":
        if row.needs_child and not children:
            return "no child involved"
        return f"no victim or perpetrator has a {row.span_kind} open at the incident"
    return "did not apply"


def explain(subject: LinkedVersion, provider: HistoryProvider, policy: Policy, calendar: WorkingCalendar,
            raised: Sequence[str] = ()) -> list[str]:
    """Human-readable lines; ``raised`` lists the alert kinds already raised for this record."""
    record = subject.record
    lines = [f"{record.agency}:{record.record_id} version {record.version} ({record.kind}), "
             f"occurred {record.occurred_at.isoformat()}, recorded {record.recorded_at.isoformat()}"]
    if record.withdrawn:
        return [*lines, "withdrawn: it is in no history and its notifications are withdrawn"]
    ev = Evaluation(subject, provider, policy)
    assessment = None
    if record.kind == "da_incident":
        a = assessment = assess_incident(ev)
        r = a.risk
        lines.append(f"risk ({r.tool} {r.tool_version}): DASH yes {r.dash_yes} "
                     f"(visible high risk at {policy.risk.visible_high_risk_min_yes}); officer grading "
                     f"{r.officer_grade or 'not given'}; level {r.level}"
                     + (f" by {', '.join(r.criteria)}" if r.criteria else ""))
        for v in r.victims:
            lines.append(f"  victim {v.person_id}: {v.incidents_in_window} incident(s) in "
                         f"{policy.risk.potential_escalation_window_months} months"
                         f"{' (potential escalation)' if v.potential_escalation else ''}; own level {v.level}; "
                         f"repeat MARAC {'yes' if v.repeat_marac else 'no'}"
                         + ("; under 16: no MARAC or IDVA" if v.under_age else ""))
        for c in a.children:
            ages = ", ".join(map(str, c.ages.values)) or "unknown"
            lines.append(f"  child involved {c.person_id} ({'named' if c.named else 'found from history'}, "
                         f"{c.involvement}, age {ages}); school {c.school.code if c.school else 'none'}; "
                         f"GP {c.gp.code if c.gp else 'none'}")
        for p in a.pregnant:
            lines.append(f"  pregnant woman involved {p.person_id} "
                         f"({'recorded on the incident' if p.booking is None else 'maternity booking ' + p.booking.record.record_id})")
        for o in a.open_cases:
            lines.append(f"  open {o.kind} of {'perpetrator' if o.perpetrator else 'victim'} {o.person_id}: "
                         f"{o.span.record.agency}:{o.span.record.record_id}")
        fired = fire_rows(a, policy)
        for row in policy.rows:
            mine = [f for f in fired if f.row.reason == row.reason]
            if mine:
                for f in mine:
                    lines.append(f"FIRED    {row.reason} -> {f.agency}{'/' + f.team if f.team else ''}: {f.why}"
                                 + (" (perpetrator-facing)" if f.perpetrator_facing else ""))
            else:
                lines.append(f"not fired {row.reason}: {_why_not(row, a)}")
        for plan in plan_notifications(a, policy, calendar):
            lines.append(f"notify {plan.agency}{'/' + plan.team if plan.team else ''}: {', '.join(plan.reasons)}; "
                         f"{plan.priority}, due {plan.due_by.isoformat()}, content {plan.content_level}"
                         + ("; barred from confidential addresses" if plan.barred else ""))
    alerts = evaluate_alerts(ev, assessment, _NothingRaised())
    for alert in alerts:
        state = "already raised" if alert.kind in raised else "raised"
        lines.append(f"ALERT    {alert.kind} ({state}) about {alert.person_id} -> {alert.agency}"
                     f"{'/' + alert.team if alert.team else ''}: {alert.why}")
    for code in policy.alerts.recipients:
        if not any(a.kind == code for a in alerts):
            lines.append(f"no alert {code}")
    return lines
