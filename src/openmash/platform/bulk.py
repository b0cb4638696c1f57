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
        return _copy_rows(connection, model, rows, names, fields, adapters, returning_pk=returning_pk)
    with connection.cursor() as cursor:
        for batch in batched(rows, max(1, MAX_PARAMETERS // len(fields))):
            params = [adapt(row[name]) for row in batch for name, adapt in zip(names, adapters, strict=True)]
            # Only quoted identifiers and placeholders are interpolated; every value is a bound parameter.
            cursor.execute(insert + ", ".join([row_sql] * len(batch)) + returning, params)
            if returning_pk:
                keys.extend(row[0] for row in cursor.fetchall())
    return keys


def _copy_rows(
    connection: Any, model: type[models.Model], rows: Sequence[Mapping[str, Any]], names: list[str],
    fields: list[Any], adapters: list[Callable[[Any], Any]], *, returning_pk: bool,
) -> list[Any]:
    """PostgreSQL: COPY, on the same connection and transaction. No statement to plan, no thousands of
    parameters to bind: several times faster than a multi-row INSERT (and Django's client-side binding)."""
    import psycopg

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    connection.ensure_connection()
    raw = connection.connection
    keys: list[Any] = []
    pk = model._meta.pk
    if returning_pk and pk is not None:
        # COPY returns nothing: take the keys from the column's own sequence first, then write them.
        with raw.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [model._meta.db_table, pk.column, len(rows)])
            keys = [row[0] for row in cursor.fetchall()]
        names, fields, adapters = [pk.attname, *names], [pk, *fields], [_same, *adapters]
        rows = [{pk.attname: key, **row} for key, row in zip(keys, rows, strict=True)]
    columns = ", ".join(quote(str(field.column)) for field in fields)
    with psycopg.Cursor(raw) as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([adapt(row[name]) for name, adapt in zip(names, adapters, strict=True)])
    return keys


def _same(value: Any) -> Any:
    return value


def _adapter(field: Any, connection: Any) -> Callable[[Any], Any]:
    if getattr(field, "encrypts_at_rest", False):  # platform.encryption: the field encrypts what it stores
        return lambda value: field.get_db_prep_save(value, connection)
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
    return _same


def update_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, using: str = "default",
) -> None:
    """Update rows by primary key: each row maps ``pk`` and the attribute names to set (the same names in every
    row) to Python values. One prepared statement, executed for every row (no per-row query compilation)."""
    if not rows:
        return
    connection = connections[using]
    pk = model._meta.pk
    assert pk is not None
    names = [name for name in rows[0] if name != "pk"]
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    adapters = [_adapter(by_attname[name], connection) for name in names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(by_attname[name].column))} = %s" for name in names)
    # Only quoted identifiers and placeholders are interpolated; every value is a bound parameter.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608
    params = [[*(adapt(row[name]) for name, adapt in zip(names, adapters, strict=True)), row["pk"]] for row in rows]
    with connection.cursor() as cursor:
        if len(params) == 1:
            cursor.execute(sql, params[0])
        else:
            cursor.executemany(sql, params)
