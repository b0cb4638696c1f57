"""Template filters and tags for the casework pages (labels, clocks, DASH questions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
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
