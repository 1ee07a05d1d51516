"""Text normalisation shared by input parsing and search (MEM-10, API.md Clarifications: input width)."""

from __future__ import annotations

import re
import unicodedata

import jaconv

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\uff0d"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})
_SPACE_RE = re.compile(r"\s+")


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
