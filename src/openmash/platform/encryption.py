"""Field-level encryption at rest: the keys, the model fields that use them, and re-encryption.

Keys are Fernet keys (AES-128-CBC + HMAC-SHA256) in ``settings.OPENMASH_FIELD_KEYS``, newest first:
the newest encrypts, any of them decrypts (``MultiFernet``), so a key is rotated by putting a new one
first, running ``openmash keys rotate``, then removing the old one.

- ``EncryptedTextField`` / ``EncryptedBinaryField``: the whole value is one token (a feed line as received).
- ``SealedJSONField``: only the sensitive leaves of the document are encrypted (``domain.sealing``); the
  rest stays queryable. Readers get plain values back from the field itself, so no reader changes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from openmash.platform.bulk import RawJson
from openmash.platform.domain import sealing


class FieldKeyError(Exception):
    """A stored value cannot be decrypted with any configured key (a key was removed too early, or is wrong)."""


@functools.lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("OPENMASH_FIELD_KEYS is empty: field encryption needs at least one key")
    return MultiFernet([Fernet(k) for k in keys])


@functools.lru_cache(maxsize=4)
def _primary(key: str) -> Fernet:
    return Fernet(key)


def configured_keys() -> tuple[str, ...]:
    return tuple(getattr(settings, "OPENMASH_FIELD_KEYS", ()))


def key_id(key: str) -> str:
    """A short public name for a key (its digest), for logs and the audit trail; reveals nothing of it."""
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()[:12]


def encrypt(plain: bytes) -> str:
    return _cipher(configured_keys()).encrypt(plain).decode("ascii")


def decrypt(token: str | bytes, *, what: str = "a value") -> bytes:
    try:
        return _cipher(configured_keys()).decrypt(token)
    except InvalidToken:
        ids = ", ".join(key_id(k) for k in configured_keys())
        raise FieldKeyError(
            f"cannot decrypt {what} with any key in OPENMASH_FIELD_KEYS (key ids {ids}): the key it was "
            "encrypted with is missing or wrong; restore it (newest first) and run `openmash keys rotate`"
        ) from None


def is_current(token: str | bytes) -> bool:
    """Whether ``token`` is encrypted with the newest key."""
    try:
        _primary(configured_keys()[0]).decrypt(token)
    except InvalidToken:
        return False
    return True


def seal_document(value: Any) -> Any:
    return sealing.seal(value, encrypt)


def unseal_document(value: Any, *, what: str = "a JSON value") -> Any:
    return sealing.unseal(value, functools.partial(decrypt, what=what))


def load_sealed_json(text: str, *, loads: Callable[[str], Any] = json.loads) -> Any:
    """A sealed JSON column's text, as read by raw SQL, parsed (by ``loads``) and opened."""
    loaded = loads(text)
    return unseal_document(loaded) if f'"{sealing.ENVELOPE_KEY}"' in text else loaded


# --- model fields ---------------------------------------------------------------------------------------------


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored as one Fernet token. Not searchable: use it for columns that are only ever read whole."""

    encrypts_at_rest = True

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value, what=f"{self.model._meta.label}.{self.name}").decode("utf-8", errors="surrogatepass")

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value).encode("utf-8", errors="surrogatepass"))


class EncryptedBinaryField(models.BinaryField):  # type: ignore[type-arg]
    """Bytes stored as one Fernet token."""

    encrypts_at_rest = True

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        return decrypt(bytes(value), what=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt(bytes(value)).encode("ascii")


#: A quick look at JSON text: could it hold anything to seal? (An escaped key could spell any name: look then.)
_MAYBE_SECRET = tuple(f'"{k}"' for k in (*sealing.FREE_TEXT_KEYS, "confidential", sealing.ENVELOPE_KEY)) + ("\\u",)


class SealedJSONField(models.JSONField):
    """JSON whose sensitive leaves (``domain.sealing``) are encrypted; read back whole and plain."""

    encrypts_at_rest = True

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str) and f'"{sealing.ENVELOPE_KEY}"' not in value:
            return super().from_db_value(value, expression, connection)
        loaded = super().from_db_value(value, expression, connection)
        return unseal_document(loaded, what=f"{self.model._meta.label}.{self.name}")

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, RawJson):
            # JSON text stored as received (bulk ingest): parsed only when it may hold something to seal.
            return value if not any(mark in value for mark in _MAYBE_SECRET) else seal_document(json.loads(value))
        return super().get_prep_value(seal_document(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if isinstance(value, RawJson):
            if connection.vendor == "postgresql":
                from psycopg.types.json import Jsonb

                return Jsonb(value, dumps=str)
            return str(value)
        return super().get_db_prep_value(value, connection, prepared=True)


# --- re-encryption ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One encrypted column, as raw SQL sees it."""

    table: str
    column: str
    kind: str  # "text", "binary" or "json"

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}"


def encrypted_columns() -> list[Column]:
    """Every column of an installed model whose field encrypts at rest."""
    out: list[Column] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if getattr(field, "encrypts_at_rest", False):
                kind = ("json" if isinstance(field, SealedJSONField)
                        else "binary" if isinstance(field, EncryptedBinaryField) else "text")
                out.append(Column(model._meta.db_table, str(field.column), kind))
    return out


def _resealed(column: Column, value: Any, *, plaintext: bool) -> Any | None:
    """The value re-encrypted with the newest key, or None when it already is (nothing to write).

    ``plaintext``: the column may still hold values written before encryption (the first migration only).
    """
    if column.kind == "json":
        doc = json.loads(value) if isinstance(value, (str, bytes)) else value
        if all(is_current(t) for t in sealing.envelopes(doc)) and not sealing.has_plain_secrets(doc):
            return None
        return seal_document(unseal_document(doc, what=column.label))
    stored = bytes(value) if column.kind == "binary" else str(value).encode("utf-8", errors="surrogatepass")
    if plaintext:
        try:
            _cipher(configured_keys()).decrypt(stored)
        except InvalidToken:
            token = encrypt(stored)
            return token.encode("ascii") if column.kind == "binary" else token
    if is_current(stored):
        return None
    try:
        rotated = _cipher(configured_keys()).rotate(stored)
    except InvalidToken:
        decrypt(stored, what=column.label)  # raises the explanatory error
        raise
    return rotated if column.kind == "binary" else rotated.decode("ascii")


def reseal_column(
    column: Column, *, batch: int = 500, plaintext: bool = False, progress: Callable[[int], None] | None = None,
) -> int:
    """Re-encrypt every value of one column with the newest key; returns how many rows were rewritten.

    Each batch commits on its own, and a value already under the newest key is left alone, so an
    interrupted run is resumed by running it again (idempotent).
    """
    quote = connection.ops.quote_name
    table, col = quote(column.table), quote(column.column)
    select = f"SELECT id, {col} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608 - identifiers only
    update = f"UPDATE {table} SET {col} = %s WHERE id = %s"  # noqa: S608 - identifiers only
    last, rewritten = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return rewritten
            changes = []
            for pk, value in rows:
                if value is not None:
                    new = _resealed(column, value, plaintext=plaintext)
                    if new is not None:
                        changes.append([_adapt(column, new), pk])
            if changes:
                cursor.executemany(update, changes)
            last, rewritten = rows[-1][0], rewritten + len(changes)
        if progress is not None:
            progress(len(rows))


def _adapt(column: Column, value: Any) -> Any:
    if column.kind == "json":
        return connection.ops.adapt_json_value(value, None)
    return value


def count_rows(column: Column) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(column.table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def reseal_all(
    columns: Sequence[Column] | None = None, *, plaintext: bool = False, batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Re-encrypt every encrypted column; ``{table.column: rows rewritten}``."""
    return {c.label: reseal_column(c, plaintext=plaintext, batch=batch, progress=progress)
            for c in (encrypted_columns() if columns is None else columns)}


def iter_tokens(column: Column) -> Iterator[str | bytes]:
    """Every token stored in a column (tests and checks)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column.column)} FROM {quote(column.table)}")  # noqa: S608
        for (value,) in cursor.fetchall():
            if value is None:
                continue
            if column.kind == "json":
                yield from sealing.envelopes(json.loads(value) if isinstance(value, str) else value)
            else:
                yield bytes(value) if column.kind == "binary" else value
