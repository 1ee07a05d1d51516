"""Request body parsers of the API. Besides DRF's parsing they refuse, as ``invalid`` naming the field:

- a NUL byte or a lone surrogate in any text (key, value, file name): PostgreSQL cannot store or even compare
  such text, so it would fail as a server error deep inside a query; SQLite would store it silently;
- JSON nested deeper than ``MAX_JSON_DEPTH``: no request of this API nests more than a few levels, and
  Python's JSON decoder recurses, so 1,000 levels would end in a RecursionError.

The body size is limited by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF reads JSON and form bodies through
``request.body``); the API's exception handler answers 413.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

from .text import forbidden_character_fields

MAX_JSON_DEPTH = 64

_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET_RE = re.compile(r"[\[\]{}]")


class BodyParseError(exceptions.ParseError):
    """A body this API cannot read; its detail is already the message to show (the handler keeps it)."""


def json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects in ``text`` (strings skipped), without recursing."""
    depth = deepest = 0
    for match in _JSON_BRACKET_RE.finditer(_JSON_STRING_RE.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _json_texts(data: Any) -> Iterator[tuple[str, list[str]]]:
    """(path, [text]) for every text in parsed JSON: object keys and string values, paths named as the error
    body names fields ("assignments.0.member_number"); without recursing."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            yield where, [value]
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                yield name, []  # the key itself is checked as the name
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}" if where else str(i), item) for i, item in enumerate(value))


def refuse_forbidden_characters(pairs) -> None:
    """A field-named ValidationError when a NUL byte or a lone surrogate is in any (name, texts) pair."""
    fields = forbidden_character_fields(pairs)
    if fields:
        if "" in fields:  # the body itself is one string
            fields[api_settings.NON_FIELD_ERRORS_KEY] = fields.pop("")
        raise exceptions.ValidationError(dict(sorted(fields.items())))


def _form_texts(data) -> list[tuple[str, list[str]]]:
    return [(key, data.getlist(key)) for key in data]


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except (UnicodeDecodeError, LookupError):  # bytes not in the charset, or an unknown charset
            raise BodyParseError(_("The request body is not valid JSON.")) from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise BodyParseError(
                _("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": MAX_JSON_DEPTH}
            )
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except ValueError:  # JSONDecodeError, and NaN/Infinity refused by strict_constant
            raise BodyParseError(_("The request body is not valid JSON.")) from None
        refuse_forbidden_characters(_json_texts(data))
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_forbidden_characters(_form_texts(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        file_names = [(key, [f.name or "" for f in parsed.files.getlist(key)]) for key in parsed.files]
        refuse_forbidden_characters(_form_texts(parsed.data) + file_names)
        return parsed
