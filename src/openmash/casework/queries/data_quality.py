"""The front door's data-quality tasks (contract §1): quarantined lines that may be safeguarding records.

A task lists what can be read of the line without opening it (sender, record id, kind, the problems found);
the raw line itself holds personal data and is read only through ``task_line``, which the view audits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from openmash.casework.domain.triage import Clock, clock
from openmash.intake.models import DataQualityTask

PER_PAGE = 25


@dataclass(frozen=True, slots=True)
class TaskRow:
    pk: int
    agency: str
    record_id: str
    kind: str
    problems: list[str]
    received_at: dt.datetime
    clock: Clock
    source_file: str
    line: int | None


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: list[TaskRow]
    number: int
    pages: int
    total: int
    overdue: int


def _row(task: DataQualityTask, now: dt.datetime) -> TaskRow:
    q = task.quarantine
    return TaskRow(task.pk, task.agency or "", q.record_id or "", q.kind or "", [str(p) for p in q.problems],
                   q.received_at, clock(task.due_at, now, done=task.closed_at is not None), q.source_file, q.line)


def _counts(rows: QuerySet[DataQualityTask], now: dt.datetime) -> tuple[int, int]:
    """How many tasks, and how many of them are overdue (one statement)."""
    found = rows.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    return found["total"], found["overdue"]


def open_tasks(*, now: dt.datetime, page: int, sender: str | None = None, per_page: int = PER_PAGE) -> TaskPage:
    """Open tasks, the most urgent (earliest due) first; only ``sender``'s when given. Raw lines are not read."""
    rows = DataQualityTask.objects.filter(closed_at=None).order_by("due_at", "pk")
    if sender is not None:
        rows = rows.filter(agency=sender)
    total, overdue = _counts(rows, now)
    pages = max(1, -(-total // per_page))
    number = min(max(1, page), pages)
    start = (number - 1) * per_page
    chosen = rows.select_related("quarantine").defer("quarantine__raw")[start:start + per_page]
    return TaskPage([_row(t, now) for t in chosen], number, pages, total, overdue)


def open_task_count(now: dt.datetime) -> tuple[int, int]:
    """How many tasks are open, and how many of those are overdue (for the triage queue's banner)."""
    return _counts(DataQualityTask.objects.filter(closed_at=None), now)


def task(pk: int, *, now: dt.datetime) -> tuple[DataQualityTask, TaskRow] | None:
    found = DataQualityTask.objects.filter(pk=pk).select_related("quarantine").first()
    return (found, _row(found, now)) if found else None


def task_line(found: DataQualityTask) -> str:
    """The raw line as received (personal data: the caller audits the read)."""
    return found.quarantine.raw_text.lstrip("\ufeff")
