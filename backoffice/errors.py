"""The one domain error type. Services raise it; the API handler and the admin helper present it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request. ``code`` is one of API.md's error codes; ``message`` is translatable.

    ``status`` is the HTTP status the API answers with: 400 for bad input, 409 for a conflict with the
    current state, 403/404 for permission and scoping.
    """

    status = 400

    def __init__(self, code: str, message: Any, *, status: int | None = None, fields: dict | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.fields = fields or {}

    def __str__(self) -> str:  # rendered lazily so the active language applies
        return str(self.message)


class Conflict(DomainError):
    status = 409


class NotFound(DomainError):
    status = 404

    def __init__(self, message: Any = None):
        from django.utils.translation import gettext_lazy as _

        super().__init__("not_found", message or _("Not found."))
