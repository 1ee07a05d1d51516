"""Text normalisation shared by input parsing and search (MEM-10, API.md Clarifications: input width)."""

from __future__ import annotations

import re
import unicodedata

import jaconv
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\uff0d"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})
_SPACE_RE = re.compile(r"\s+")


def yen(value) -> str:
    """How every screen writes money: integer yen with thousands separators and 円. ``3000`` → ``3,000円``;
    ``-500`` → ``-500円``; None or text stays as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}円"


def half_width(value: str) -> str:
    """Full-width digits, letters and symbols typed by the secretariat become half-width (NFKC)."""
    return unicodedata.normalize("NFKC", value).strip()


def normalize_email(value: str) -> str:
    """E-mail addresses are stored half-width and lower-case: they compare case-insensitively everywhere."""
    return half_width(value).lower()


def normalize_phone(value: str) -> str:
    return half_width(value.translate(_DASH_TABLE))


def phone_digits(value: str) -> str:
    return re.sub(r"\D", "", half_width(value))


def normalize_code(value: str) -> str:
    """Member numbers and codes: half-width, no surrounding space."""
    return half_width(value)


def search_key(value: str) -> str:
    """A key where hiragana, katakana and half-width kana match each other, and so do full- and half-width
    letters and digits; case and spaces are ignored."""
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value)  # half-width kana → full-width, full-width ASCII → ASCII
    text = jaconv.kata2hira(text)
    text = text.lower()
    return _SPACE_RE.sub("", text)


# Text no database column can hold: a NUL byte (PostgreSQL refuses it in any text, even in a WHERE clause) and a
# lone surrogate (not encodable as UTF-8). Refused at the edge of every request (backoffice.middleware,
# backoffice.parsers) so that a query never sees it.
FORBIDDEN_CHARACTER_RE = re.compile("[\x00\ud800-\udfff]")
# Django's own message (its validator on every form CharField), with our Japanese (Django's says "enter something").
MSG_NUL = gettext_lazy("Null characters are not allowed.")


def has_forbidden_character(value: str) -> bool:
    return FORBIDDEN_CHARACTER_RE.search(value) is not None


def forbidden_character_message(char: str) -> str:
    if char == "\x00":
        return str(MSG_NUL)
    return _("Surrogate characters are not allowed: U+{code_point:X}.").format(code_point=ord(char))


def forbidden_character_fields(pairs) -> dict[str, list[str]]:
    """{name: [message]} for every (name, texts) pair whose name or texts hold a forbidden character; the name
    is shown with "?" in place of the character."""
    fields: dict[str, list[str]] = {}
    for name, texts in pairs:
        for value in (name, *texts):
            found = FORBIDDEN_CHARACTER_RE.search(value)
            if found:
                fields.setdefault(FORBIDDEN_CHARACTER_RE.sub("?", name), [forbidden_character_message(found.group())])
                break
    return fields
