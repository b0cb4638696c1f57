"""Querysets compiled to SQL once per database connection, then run again with new values.

Building and compiling a queryset costs more Python than running it does for a page's small, hot reads (the ORM
does both for every statement of every request). :class:`Compiled` makes the queryset from placeholders, compiles
it once, notes where each placeholder lands among the statement's parameters, and on every run puts the caller's
values there. Rows are converted by the fields' own converters, so what comes back is what the queryset would give
(sealed and encrypted fields opened).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

#: Off: every run builds its queryset afresh (what the compiled statements are checked against).
ENABLED = True
#: A list longer than this is not compiled: the queryset is built and run as it is (each length is its own
#: statement, and long lists are rare enough not to be worth keeping).
MOST_COMPILED = 32
#: At most this many statements are kept per ``Compiled`` (its shapes: list lengths, ``Static`` values); past it,
#: a new shape runs as a plain queryset, so values a request chooses (a page number) cannot grow memory unbounded.
MOST_SHAPES = 256

Kind = type[str] | type[int] | type[list[str]] | type["Ints"] | type["Static"]
_LIKE_SPECIAL = ("\\", "%", "_")


class Ints:
    """A placeholder kind for a list of integers (``list`` is a list of strings)."""


class Static:
    """A placeholder kind for a value that shapes the statement (a flag, a choice of column): it is passed to
    ``build`` as it is, and each value is compiled on its own."""


class Compiled:
    """A ``values_list`` queryset compiled once (per connection and shape), then run again with new values.

    ``kinds``, one per argument of ``build``: ``str`` or ``int`` (a value), ``list`` or :class:`Ints` (a list of
    strings or of integers: each length is compiled once, up to :data:`MOST_COMPILED`) or :class:`Static` (passed through, one statement per
    value). A value must reach the statement's parameters unchanged: as a parameter of its own, as a leaf of a
    JSON parameter (PostgreSQL's containment), or inside a text parameter (a ``LIKE`` pattern), where values
    holding ``\\``, ``%`` or ``_`` (which the ORM would have escaped) are not placed but run as a plain queryset.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], *kinds: Kind) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: dict[tuple[Any, ...], tuple[Any, str, tuple[Any, ...], tuple[Any, ...], Any]] = {}

    def queryset(self, *values: Any) -> QuerySet[Any, Any]:
        """The queryset these values make, built afresh (what ``rows`` gives the rows of)."""
        return self._build(*values)

    def _shape(self, values: Sequence[Any]) -> tuple[Any, ...] | None:
        shape: list[Any] = []
        for kind, value in zip(self._kinds, values, strict=True):
            if kind is list or kind is Ints:
                if len(value) > MOST_COMPILED:
                    return None
                shape.append(len(value))
            elif kind is Static:
                shape.append(value)
            else:
                shape.append(None)
        return tuple(shape)

    def _marks(self, shape: tuple[Any, ...]) -> tuple[list[Any], list[tuple[Any, int]]]:
        """The placeholder arguments for ``build``, and every mark with the flat position its value comes from."""
        args: list[Any] = []
        marks: list[tuple[Any, int]] = []
        for kind, size in zip(self._kinds, shape, strict=True):
            if kind is Static:
                args.append(size)
                continue
            if kind is list or kind is Ints:
                args.append([_mark(str if kind is list else int, len(marks) + i) for i in range(size)])
                marks += [(mark, len(marks) + i) for i, mark in enumerate(args[-1])]
                continue
            args.append(_mark(kind, len(marks)))
            marks.append((args[-1], len(marks)))
        return args, marks

    def _compile(self, connection: Any, shape: tuple[Any, ...]) -> tuple[Any, str, tuple[Any, ...], tuple[Any, ...], Any]:
        args, marks = self._marks(shape)
        compiler = self._build(*args).query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            # Nothing whatever the values (``x__in=[]``); or a placeholder the ORM judged out of its field's range
            # (an integer beyond a small integer column): that statement runs as a plain queryset every time.
            return None, "", (), (), bool(marks)
        found: set[int] = set()
        slots = tuple(_slot(p, dict(marks), found) for p in params)
        if found != set(range(len(marks))):
            raise ValueError("a placeholder did not reach the statement's parameters unchanged")
        converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])
        return compiler, sql, tuple(params), slots, converters

    def rows(self, *values: Any, using: str = "default") -> list[tuple[Any, ...]]:
        shape = self._shape(values)
        flat = [v for kind, value in zip(self._kinds, values, strict=True) if kind is not Static
                for v in (value if kind is list or kind is Ints else [value])]
        if shape is None or not ENABLED:
            return [tuple(r) for r in self._build(*values).using(using)]
        connection = connections[using]
        key = (connection.alias, threading.get_ident(), shape)
        if key not in self._compiled:
            if len(self._compiled) >= MOST_SHAPES:
                return [tuple(r) for r in self._build(*values).using(using)]
            self._compiled[key] = self._compile(connection, shape)
        compiler, sql, params, slots, converters = self._compiled[key]
        if compiler is None:  # the queryset selects nothing whatever the values (``x__in=[]``), or cannot compile
            return [tuple(r) for r in self._build(*values).using(using)] if converters else []
        if any(slot is not None and slot[0] == "text" and any(_needs_escape(flat[n]) for n in slot[2])
               for slot in slots):
            return [tuple(r) for r in self._build(*values).using(using)]
        bound = [p if s is None else _bind(p, s, flat) for p, s in zip(params, slots, strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            found = cursor.fetchall()
        return [tuple(row) for row in compiler.apply_converters(found, converters)] if converters else found


def _mark(kind: Kind, n: int) -> Any:
    return f"\x00openmash-compiled-{n}\x00" if kind is not int else -(2**62) - n


def _needs_escape(value: Any) -> bool:
    return not isinstance(value, str) or any(c in value for c in _LIKE_SPECIAL) or "\x00" in value


def _slot(param: Any, marks: dict[Any, int], found: set[int]) -> tuple[Any, ...] | None:
    """Where a statement parameter takes the caller's values from: ``("=", n)`` the n-th value itself,
    ``("text", template, ns)`` a text holding values, ``("json", obj, ns)`` a JSON parameter with values at
    leaves; None for a constant."""
    if isinstance(param, Hashable) and not isinstance(param, bool) and param in marks:
        found.add(marks[param])
        return ("=", marks[param])
    if isinstance(param, str):
        inside = tuple(n for mark, n in marks.items() if isinstance(mark, str) and mark in param)
        found.update(inside)
        return ("text", param, inside) if inside else None
    obj = getattr(param, "obj", None)
    if obj is not None and type(param).__module__.startswith("psycopg"):
        inside = tuple(sorted(_leaves(obj, marks)))
        found.update(inside)
        return ("json", obj, inside) if inside else None
    return None


def _leaves(obj: Any, marks: dict[Any, int]) -> set[int]:
    if isinstance(obj, dict):
        return set().union(*(_leaves(v, marks) for v in obj.values())) if obj else set()
    if isinstance(obj, list):
        return set().union(*(_leaves(v, marks) for v in obj)) if obj else set()
    if isinstance(obj, str) and obj in marks:
        return {marks[obj]}
    if isinstance(obj, str) and "\x00openmash-compiled-" in obj:
        raise ValueError("a placeholder did not reach the statement's parameters unchanged")
    return set()


def _bind(param: Any, slot: tuple[Any, ...], values: list[Any]) -> Any:
    if slot[0] == "=":
        return values[slot[1]]
    if slot[0] == "text":
        text = slot[1]
        for n in slot[2]:
            text = text.replace(_mark(str, n), values[n])
        return text
    return type(param)(_put(slot[1], values), dumps=param.dumps)


def _put(obj: Any, values: list[Any]) -> Any:
    if isinstance(obj, dict):
        return {k: _put(v, values) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_put(v, values) for v in obj]
    if isinstance(obj, str) and obj.startswith("\x00openmash-compiled-"):
        return values[int(obj.strip("\x00").rsplit("-", 1)[1])]
    return obj
