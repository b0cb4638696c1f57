"""Where the field-encryption keys come from (read by settings, before Django is set up).

``OPENMASH_FIELD_KEYS``: Fernet keys, comma-separated, newest first; or ``OPENMASH_FIELD_KEYS_FILE``, a
file holding them (comma- or newline-separated). Production refuses to start without one; elsewhere
(demo, tests, development) a key is made once under the var directory and reused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

VARIABLE = "OPENMASH_FIELD_KEYS"
LOCAL_KEY_FILE = "field-keys"


def parse_keys(text: str) -> list[str]:
    """The keys in ``text``, each checked to be a Fernet key."""
    keys = [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ImproperlyConfigured(
                f"{VARIABLE}: key {number} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `openmash keys generate`)") from None
    return keys


def load_keys(environ: Mapping[str, str], *, var_dir: Path, production: bool) -> list[str]:
    text = environ.get(VARIABLE, "")
    path = environ.get(f"{VARIABLE}_FILE", "")
    if not text and path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"{VARIABLE}_FILE: cannot read {path}: {exc.strerror}") from None
    if text:
        keys = parse_keys(text)
        if keys:
            return keys
    if production:
        raise ImproperlyConfigured(
            f"{VARIABLE} (or {VARIABLE}_FILE) is required in production: narrative text and confidential "
            "addresses are encrypted at rest with it. Make a key with `openmash keys generate`.")
    return [_local_key(var_dir / LOCAL_KEY_FILE)]


def _local_key(path: Path) -> str:
    """The development key under the var directory, made once (safe when several processes start at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # another process is writing it
            keys = parse_keys(path.read_text())
            if keys:
                return keys[0]
            import time

            time.sleep(0.05)
        raise ImproperlyConfigured(f"{path} holds no key: delete it to have a new one made") from None
    key = Fernet.generate_key().decode("ascii")
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key
