"""Insert many rows without building model instances: for the few hot paths (bulk ingest, its audit rows).

``bulk_create`` spends most of its time compiling SQL value by value; here each field's adapter is
looked up once and rows go out as multi-row ``INSERT`` statements. No ``save()``, no defaults, no
signals: give every column that has no database default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import batched
from typing import Any

from django.db import connections, models

#: Stay under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters per statement.
MAX_PARAMETERS = 30_000


class RawJson(str):
    """JSON text already serialised (e.g. a feed line as received): stored in a JSON column as it is."""

    __slots__ = ()


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning_pk: bool = False,
    using: str = "default",
) -> list[Any]:
    """Insert ``rows`` (attribute name → Python value; a foreign key as ``<name>_id``), in order.

    Returns the new primary keys, in the same order, when ``returning_pk``.
    """
    if not rows:
        return []
    connection = connections[using]
    names = list(rows[0])
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_attname[name] for name in names]
    adapters = [_adapter(field, connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(str(model._meta.pk.column))}" if returning_pk and model._meta.pk else ""
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 - identifiers only
    keys: list[Any] = []
    if connection.vendor == "postgresql":
        import psycopg

        # Django's PostgreSQL cursors bind client-side and re-parse a statement of thousands of literals each
        # time; a raw cursor on the same connection (and transaction) sends native $n placeholders with the
        # values bound apart, which is several times faster for these multi-row statements.
        connection.ensure_connection()
        with psycopg.RawCursor(connection.connection) as cursor:
            for batch in batched(rows, max(1, MAX_PARAMETERS // len(fields))):
                width = len(fields)
                values = ", ".join(
                    "(" + ", ".join(f"${i * width + j + 1}" for j in range(width)) + ")" for i in range(len(batch)))
                params = [adapt(row[name]) for row in batch for name, adapt in zip(names, adapters, strict=True)]
                cursor.execute(insert + values + returning, params)
                if returning_pk:
                    keys.extend(row[0] for row in cursor.fetchall())
        return keys
    with connection.cursor() as cursor:
        for batch in batched(rows, max(1, MAX_PARAMETERS // len(fields))):
            params = [adapt(row[name]) for row in batch for name, adapt in zip(names, adapters, strict=True)]
            # Only quoted identifiers and placeholders are interpolated; every value is a bound parameter.
            cursor.execute(insert + ", ".join([row_sql] * len(batch)) + returning, params)
            if returning_pk:
                keys.extend(row[0] for row in cursor.fetchall())
    return keys


def _adapter(field: Any, connection: Any) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            def verbatim(text: str) -> str:
                return text

            return lambda value: (Jsonb(value, dumps=verbatim) if isinstance(value, RawJson)
                                  else connection.ops.adapt_json_value(value, field.encoder))
        return lambda value: (str(value) if isinstance(value, RawJson)
                              else connection.ops.adapt_json_value(value, field.encoder))
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value  # type: ignore[no-any-return]
    if isinstance(field, models.BinaryField):
        return lambda value: field.get_db_prep_value(value, connection)
    return lambda value: value
