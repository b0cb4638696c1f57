"""Merge chains: which person an id stands under now, and which ids were merged into a person.

A merge keeps one person and marks the other ``merged_into`` it; a later merge of the kept person moves the
whole chain on. So the person a record names now is found by following ``merged_into`` to its end, and the
people a person now stands for are everyone whose chain ends there. A chain that loops (it should never happen;
an undo gone wrong could) stops where it closes, so reading never hangs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping


def standing[K: Hashable](start: K, merged_into: Mapping[K, K | None]) -> K:
    """The end of ``start``'s chain of merges: ``start`` itself when it was never merged."""
    seen: set[K] = set()
    current = start
    while (into := merged_into.get(current)) is not None and current not in seen:
        seen.add(current)
        current = into
    return current


def absorbed[K: Hashable](start: K, absorbed_by: Mapping[K, Iterable[K]]) -> set[K]:
    """``start`` and every id merged into it, however deep (``absorbed_by``: kept id → the ids merged into it)."""
    found, todo = {start}, [start]
    while todo:
        for other in absorbed_by.get(todo.pop(), ()):
            if other not in found:
                found.add(other)
                todo.append(other)
    return found
