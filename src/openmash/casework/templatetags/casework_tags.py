"""Template filters and tags for the casework pages (labels, clocks, DASH questions)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.formats import date_format, localize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from openmash.casework import dash
from openmash.casework.domain.triage import Clock, ClockState
from openmash.casework.labels import label as label_for

register = template.Library()


@register.filter
def label(code: Any, family: str) -> str:
    """``{{ record.kind|label:"kind" }}``"""
    return label_for(family, code)


@register.filter
def labels(codes: Iterable[Any] | None, family: str) -> str:
    """A list of codes as words, comma-separated."""
    return ", ".join(label_for(family, c) for c in codes or ())


@register.filter
def dash_question(number: int) -> str:
    return dash.question(int(number))


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def when(value: Any) -> str:
    """An RFC 3339 time from a notification's content, in local time and words ("3 March 2025, 20:15")."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return str(value)
    return date_format(localtime(moment), "j F Y, H:i")


def _span(minutes: int) -> str:
    hours, mins = divmod(abs(minutes), 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)s min") % {"minutes": mins}


@register.filter
def clock_text(value: Clock | None) -> str:
    """"2 h 5 min overdue", "45 min left", "Done"."""
    if value is None:
        return _("No deadline")
    if value.state is ClockState.DONE:
        return _("Done")
    if value.state is ClockState.OVERDUE:
        return _("%(span)s overdue") % {"span": _span(value.minutes)}
    return _("%(span)s left") % {"span": _span(value.minutes)}


_CLOCK_CLASS = {ClockState.OVERDUE: "openmash-overdue", ClockState.DUE_SOON: "openmash-due-soon"}


@register.filter
def clock_tag(value: Clock | None) -> str:
    """A deadline clock in words, red when overdue (``components/clock.html``; a filter, so a table row needs
    no include)."""
    css = _CLOCK_CLASS.get(value.state, "") if value is not None else ""
    return format_html('<span class="{}">{}</span>', css, clock_text(value))


@register.filter
def level_tag(level: str | None) -> str:
    """A risk level as a coloured tag (``components/level_tag.html``); nothing for no level."""
    return mark_safe(_level_tag(level))  # noqa: S308 - _level_tag escapes the label


# --- long lists rendered in Python: a 300-event chronology through the template engine costs ~10x more ---


class _Days:
    """"3 Mar 2025" in the current language and time zone (month names come from Django's own translations),
    for the many dates of one list: the language and zone are looked up once, not per date."""

    def __init__(self) -> None:
        self.zone = get_current_timezone()
        self.language = get_language()

    def __call__(self, value: Any) -> str:
        if not value:
            return ""
        local = localtime(value, self.zone)
        key = (self.language, local.month)
        month = _MONTHS.get(key)
        if month is None:
            month = _MONTHS[key] = date_format(local, "M")
        return f"{local.day} {month} {local.year}"


_MONTHS: dict[tuple[str | None, int], str] = {}


def _esc(value: Any) -> str:
    """HTML-escaped text (Django's ``escape`` without its lazy-string wrapper: these lists call it thousands
    of times)."""
    return html.escape(str(value))


def _level_tag(level: str | None) -> str:
    if not level:
        return ""
    colour = {"high": "govuk-tag--red", "medium": "govuk-tag--orange"}.get(level, "govuk-tag--grey")
    return f'<strong class="govuk-tag {colour}">{_esc(label_for("level", level))}</strong>'


def _record_url(pattern: str, agency: str, record_id: str) -> str:
    """A record's page from a URL reversed once with the placeholders AGENCY and RECORD (escaped for HTML)."""
    return _esc(pattern.replace("AGENCY", quote(agency, safe="")).replace("RECORD", quote(record_id, safe="")))


_FACT_FAMILY = {"outcome": "outcome", "officer_risk": "level", "from_agency": "agency", "referring_agency": "agency"}


@register.simple_tag
def chronology_rows(entries: Iterable[Any]) -> str:
    """The rows of a person's chronology (``casework/person.html``), newest first.

    Built with ``_esc`` on every value (codes, labels, dates and free text alike).
    """
    significant = _esc(_("Significant"))
    lived = _esc(_("Lived in the household"))
    until = _esc(_("to"))
    day = _Days()
    incident_url = reverse("web:incident", args=["AGENCY", "RECORD"])
    words: dict[tuple[str, object], str] = {}
    levels: dict[str | None, str] = {}

    def word(family: str, code: object) -> str:  # the same few labels, hundreds of rows: each looked up once
        key = (family, code)
        if key not in words:
            words[key] = _esc(label_for(family, code))
        return words[key]

    rows = []
    for e in entries:
        what: str = word("kind", e.kind)
        if e.is_incident:
            what = f'<a class="govuk-link" href="{_record_url(incident_url, e.agency, e.record_id)}">{what}</a>'
        if e.significance == 3:
            what += f'<br><strong class="govuk-tag govuk-tag--red">{significant}</strong>'
        if e.roles:
            what += f'<br><span class="govuk-body-s">{", ".join(word("role", r) for r in e.roles)}</span>'
        elif e.found_from_history:
            what += f'<br><span class="govuk-body-s">{lived}</span>'
        facts = "<br>".join(
            f'<span class="govuk-body-s">{word("fact", code)}: '
            f'{word(_FACT_FAMILY[code], value) if code in _FACT_FAMILY else _esc(value)}</span>'
            for code, value in e.facts)
        if e.level and e.level not in levels:
            levels[e.level] = _level_tag(e.level)
        summary = (levels[e.level] + " " if e.level else "") + facts
        if e.text:
            summary += (f'<p class="govuk-body-s govuk-!-margin-bottom-0 openmash-pre">{_esc(e.author)}: '
                        f'{_esc(e.text)}</p>')
        when: str = _esc(day(e.occurred_at))
        if e.ended_at:
            when += f'<br><span class="govuk-body-s">{until} {_esc(day(e.ended_at))}</span>'
        marked = " openmash-row--significant" if e.significance == 3 else ""
        rows.append(f'<tr class="govuk-table__row{marked}"><td class="govuk-table__cell openmash-nowrap">{when}</td>'
                    f'<td class="govuk-table__cell">{word("agency", e.agency)}</td>'
                    f'<td class="govuk-table__cell">{what}</td><td class="govuk-table__cell">{summary}</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped


@register.simple_tag
def voice_items(voices: Iterable[Any]) -> str:
    """A child's words and demeanour, record by record (``casework/person.html``)."""
    not_seen, demeanour, behaviour = str(_("not seen")), str(_("Demeanour")), str(_("Behaviour"))
    day = _Days()
    items = []
    for v in voices:
        facts = [label_for("agency", v.agency) + " " + v.record_id]
        if v.seen is False:
            facts.append(not_seen)
        if v.demeanour:
            facts.append(f"{demeanour}: {v.demeanour}")
        if v.behaviour:
            facts.append(f"{behaviour}: {v.behaviour}")
        said = (f'<blockquote class="govuk-inset-text openmash-quote govuk-!-margin-top-1">“{_esc(v.said)}”</blockquote>'
                if v.said else "")
        items.append(f'<div class="openmash-voice"><p class="govuk-body-s govuk-!-margin-bottom-1"><strong>'
                     f'{_esc(day(v.occurred_at))}</strong> · {_esc(" · ".join(facts))}</p>{said}</div>')
    return mark_safe("\n".join(items))  # noqa: S308 - every value above is escaped


#: A home's sources shown before the rest fold away (a child seen at one address by 300 records).
SOURCES_SHOWN = 5


@register.simple_tag
def record_refs(sources: Iterable[tuple[str, str]]) -> str:
    """"From: Police R1, Children's social care C7" for the records that placed people at an address; past
    ``SOURCES_SHOWN`` the rest are in a details element (no script needed to open it)."""
    names: dict[str, str] = {}
    refs = []
    for agency, record_id in sources:
        if agency not in names:
            names[agency] = _esc(label_for("agency", agency))
        refs.append(f"{names[agency]} {_esc(record_id)}")
    lead = _esc(_("From"))
    if len(refs) <= SOURCES_SHOWN:
        return mark_safe(f'<p class="govuk-body-s govuk-!-margin-bottom-0">{lead}: {", ".join(refs)}</p>')  # noqa: S308
    more = _esc(_("%(n)s records in all") % {"n": len(refs)})
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<p class="govuk-body-s govuk-!-margin-bottom-1">{lead}: {", ".join(refs[:SOURCES_SHOWN])}, …</p>'
        f'<details class="govuk-details govuk-!-margin-bottom-0"><summary class="govuk-details__summary">'
        f'<span class="govuk-details__summary-text">{more}</span></summary>'
        f'<div class="govuk-details__text govuk-body-s">{", ".join(refs)}</div></details>')


@register.simple_tag
def open_span_items(entries: Iterable[Any]) -> str:
    """The open plans and involvements (``casework/person.html``): kind · agency · since when · facts."""
    day = _Days()
    items = []
    for e in entries:
        parts = [label_for("kind", e.kind), label_for("agency", e.agency), _("since %(since)s") % {"since": day(e.occurred_at)}]
        parts += [str(value) for _code, value in e.facts]
        items.append(f"<li>{_esc(' · '.join(parts))}</li>")
    return mark_safe("".join(items))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def queue_rows(context: Any) -> str:
    """The rows of the triage queue (``casework/triage_queue.html``): reference, risk, youngest child, children,
    area, recorded, deadline clock, allocation, and the claim and assign forms (each with the page's CSRF token)."""
    queue, user, request = context["queue"], context["user"], context["request"]
    can_claim, assign_form = context.get("can_claim"), context.get("assign_form")
    token = _esc(context.get("csrf_token") or "")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    back = f'<input type="hidden" name="next" value="{_esc(request.get_full_path())}">'
    claim, assign = _esc(_("Claim")), _esc(_("Assign"))
    officers = list(assign_form.fields["assignee"].choices) if assign_form else []
    incident_url = reverse("web:incident", args=["AGENCY", "RECORD"])
    claim_url = reverse("web:triage-claim", args=["AGENCY", "RECORD"])
    assign_url = reverse("web:triage-assign", args=["AGENCY", "RECORD"])
    rows = []
    for n, row in enumerate(queue.rows, 1):
        ref = _esc(row.record_id)
        actions = "\n        "
        if can_claim and row.assignee_username != user.username:
            actions += (f'\n        <form method="post" action="{_record_url(claim_url, row.agency, row.record_id)}">{csrf}\n          {back}\n'
                        f'          <button type="submit" class="govuk-button govuk-button--secondary '
                        f'govuk-!-margin-bottom-1">{claim}<span class="govuk-visually-hidden"> {ref}</span></button>\n'
                        f'        </form>\n        ')
        actions += "\n        "
        if assign_form:
            options = "".join(
                f'<option value="{_esc(value)}"{" selected" if value == row.assignee_username else ""}>'
                f'{_esc(text)}</option>' for value, text in officers)
            label_text = _("Triage officer for %(ref)s") % {"ref": ref}
            actions += (f'\n        <form method="post" action="{_record_url(assign_url, row.agency, row.record_id)}" class="openmash-assign">{csrf}\n'
                        f'          {back}\n'
                        f'          <label class="govuk-label govuk-visually-hidden" for="assignee-{n}">{label_text}'
                        f'</label>\n          <select class="govuk-select govuk-!-margin-bottom-1" id="assignee-{n}" '
                        f'name="assignee">\n            {options}\n          </select>\n'
                        f'          <button type="submit" class="govuk-button govuk-button--secondary '
                        f'govuk-!-margin-bottom-1">{assign}<span class="govuk-visually-hidden"> {ref}</span>'
                        f'</button>\n        </form>\n        ')
        actions += "\n      "
        overdue = " openmash-row--overdue" if row.clock is not None and row.clock.state == ClockState.OVERDUE else ""
        rows.append(
            f'\n    <tr class="govuk-table__row{overdue}">\n'
            f'      <td class="govuk-table__cell"><a class="govuk-link" href="{_record_url(incident_url, row.agency, row.record_id)}">{ref}</a><br>'
            f'<span class="govuk-body-s">{_esc(label_for("agency", row.agency))}</span></td>\n'
            f'      <td class="govuk-table__cell">{_level_tag(row.level)}</td>\n'
            f'      <td class="govuk-table__cell govuk-table__cell--numeric">{_esc(localize(row.youngest_age))}</td>\n'
            f'      <td class="govuk-table__cell govuk-table__cell--numeric">{_esc(localize(row.children))}</td>\n'
            f'      <td class="govuk-table__cell">{_esc(row.area or "–")}</td>\n'
            f'      <td class="govuk-table__cell">{_esc(date_format(localtime(row.recorded_at), "j M Y H:i"))}</td>\n'
            f'      <td class="govuk-table__cell">{clock_tag(row.clock)}</td>\n'
            f'      <td class="govuk-table__cell">{_esc(row.assignee or "–")}</td>\n'
            f'      <td class="govuk-table__cell">{actions}</td>\n    </tr>\n  ')
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped
