"""Polish is complete: every interface string has a translation, and pages render in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import openmash

LOCALE = Path(openmash.__file__).parent / "locale"


def untranslated(po: Path) -> list[str]:
    entries = po.read_text(encoding="utf-8").split("\n\n")[1:]  # the first entry is the header
    missing = []
    for entry in entries:
        if entry.lstrip().startswith("#~"):
            continue
        msgid = "".join(re.findall(r'"(.*)"', entry.split("msgstr")[0]))
        msgstr = "".join(re.findall(r'"(.*)"', entry.split("msgstr", 1)[1])) if "msgstr" in entry else ""
        if msgid and (not msgstr or "#, fuzzy" in entry):
            missing.append(msgid)
    return missing


@pytest.mark.parametrize("language", ["pl"])
def test_every_interface_string_is_translated(language):
    assert untranslated(LOCALE / language / "LC_MESSAGES" / "django.po") == []


@pytest.mark.django_db
def test_the_sign_in_page_renders_in_polish(client):
    response = client.get(reverse("web:sign-in"), HTTP_ACCEPT_LANGUAGE="pl")
    assert "Zaloguj się" in response.content.decode()
    assert 'lang="pl"' in response.content.decode()
