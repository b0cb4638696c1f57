"""Name normalisation for linking: folding, tokens, nicknames and surname forms.

Everything here is a pure function of strings. Names are *folded* before any
comparison: diacritics removed (including letters that Unicode does not
decompose, such as Polish ł and Danish ø; Romanian ș/ş and ț/ţ fold the same
in comma and cedilla forms), upper-cased, and reduced to letters, so
"O'Sullivan", "OSULLIVAN" and "O Sullivan" agree.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from openmash.identity.domain.nicknames import TABLES

# Letters that NFKD leaves alone; everything else is decomposed and its marks dropped.
_SPECIAL = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "Ħ": "H",
})

#: Given names that stand for "not known yet" (a newborn, an unnamed person): no evidence either way.
PLACEHOLDER_GIVEN = frozenset({"BABY", "BABYBOY", "BABYGIRL", "UNBORN", "UNKNOWN", "NK", "NOTKNOWN", "INFANT", "MALE", "FEMALE", "BOY", "GIRL", "TWIN", "X"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Upper-case letters only, diacritics removed: ``"Łukasz"`` → ``"LUKASZ"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch)).upper()


@lru_cache(maxsize=65536)
def tokens(text: str | None) -> tuple[str, ...]:
    """Folded words of a name, split on spaces, hyphens and other separators.

    Cached (as ``fold``), like the other name functions a rebuild calls for every person-in-record: names
    repeat across a county, and the results are immutable."""
    if not text:
        return ()
    words: list[str] = []
    current: list[str] = []
    for ch in text.translate(_SPECIAL):
        if ch.isspace() or ch in "-_,./;:()&+":
            if current:
                words.append(fold("".join(current)))
                current = []
        else:
            current.append(ch)
    if current:
        words.append(fold("".join(current)))
    return tuple(w for w in words if w)


@lru_cache(maxsize=65536)
def given_tokens(text: str | None) -> tuple[str, ...]:
    """Folded given names in recorded order, placeholders ("Baby") removed."""
    return tuple(t for t in tokens(text) if t not in PLACEHOLDER_GIVEN)


def _build_formal_index() -> dict[str, frozenset[str]]:
    formals: dict[str, set[str]] = defaultdict(set)
    for table in TABLES:
        for formal, others in table.items():
            f = fold(formal)
            formals[f].add(f)
            for other in others:
                formals[fold(other)].add(f)
    return {name: frozenset(v) for name, v in formals.items()}


_FORMALS = _build_formal_index()


@lru_cache(maxsize=65536)
def given_variants(name: str) -> frozenset[str]:
    """The folded name and every formal name it may be a nickname or spelling of."""
    return _FORMALS.get(name, frozenset()) | {name}


def are_nickname_variants(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` can be the same given name (Bill/William, Kasia/Katarzyna)."""
    return a == b or bool(given_variants(a) & given_variants(b))


def _load_given_names() -> frozenset[str]:
    text = resources.files("openmash.identity.domain").joinpath("given_names.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


_KNOWN_GIVEN = _load_given_names()


def is_known_given_name(name: str) -> bool:
    """True for a real given name (nickname tables or the shipped name list), not a typo of one."""
    return name in _FORMALS or name in _KNOWN_GIVEN


# Lithuanian surnames change with gender and marital status (Kazlauskas, Kazlauskienė,
# Kazlauskaitė; Rimkus, Rimkutė; Jonaitis, Jonaitytė); Polish adjectival ones with gender
# (Zieliński, Zielińska); Czech/Slovak/Bulgarian/Russian ones similarly (Novák, Nováková;
# Ivanov, Ivanova). The stem is what those forms share. Longest suffixes first.
_SURNAME_SUFFIXES: tuple[str, ...] = (
    "IENE", "AITE", "IUTE", "YTE", "UTE", "OVA", "EVA", "SKA", "SKI", "CKA", "CKI", "DZKA", "DZKI",
    "IUS", "AS", "IS", "YS", "US", "E", "A",
)
_KEEP_LAST = {"SKA": "SK", "SKI": "SK", "CKA": "CK", "CKI": "CK", "DZKA": "DZK", "DZKI": "DZK"}


@lru_cache(maxsize=65536)
def surname_stem(name: str) -> str:
    """The shared stem of a folded surname's gendered and marital forms; at least 3 letters."""
    for suffix in sorted(_SURNAME_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            stem = name[: -len(suffix)] + _KEEP_LAST.get(suffix, "")
            if len(stem) >= 3:
                return stem
    return name


@lru_cache(maxsize=65536)
def surname_forms(family_name: str | None, other_names: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every folded surname a person may be recorded under: the whole name, each part of a
    double-barrelled name, and maiden/married/alias names from ``other_names``."""
    forms: list[str] = []
    whole = fold(family_name) if family_name else ""
    if whole:
        forms.append(whole)
    for part in tokens(family_name):
        if len(part) >= 2 and part not in forms:
            forms.append(part)
    for other in other_names:
        words = tokens(other)
        # An alias may be a full name ("Anna Kowalska"); its last word is the surname.
        candidates = (fold(other), words[-1]) if len(words) > 1 else (fold(other),)
        for c in candidates:
            if c and c not in forms:
                forms.append(c)
    return tuple(forms)


def edit_distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (a transposition counts once)."""
    return int(DamerauLevenshtein.distance(a, b))


def jaro_winkler(a: str, b: str) -> float:
    return float(JaroWinkler.similarity(a, b))


def is_close_typo(a: str, b: str) -> bool:
    """One slip of the keyboard: one edit for short names, allowing JW ≥ 0.94 for long ones."""
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if shortest < 3:
        return False
    return edit_distance(a, b) <= 1 or (shortest >= 6 and jaro_winkler(a, b) >= 0.94)


def is_loose_typo(a: str, b: str) -> bool:
    """Two slips: two edits when both names have four letters or more, or JW ≥ 0.88;
    a two-letter name one edit from a longer one with the same first letter (Lo/Leo)."""
    if is_close_typo(a, b):
        return True
    shortest = min(len(a), len(b))
    if shortest == 2:
        return a[0] == b[0] and edit_distance(a, b) <= 1
    if shortest < 2:
        return False
    if shortest >= 4 and edit_distance(a, b) <= 2:
        return True
    return jaro_winkler(a, b) >= 0.88 and a[0] == b[0]
