"""The one domain error type. Services raise it; the API handler and the admin helper present it."""

from __future__ import annotations

from typing import Any


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    """The one error body of the API: ``{code, detail, fields}`` (API.md, Conventions)."""
    return {"code": code, "detail": str(detail), "fields": fields or {}}


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


# The ``code`` of every error body (API.md, Error codes). ``database_busy`` and ``server_error`` are this
# implementation's additions: a lock conflict with another operator's transaction (409, send again) and an
# unexpected failure (500), so that even those bodies carry a code. ``wrong_session_email`` (409): an e-mail change
# confirmation URL opened while signed in with an address other than the old one (seed 003). Support cases (409):
# ``case_node_not_current`` (an answer to a node the case is not waiting for), ``case_node_not_on_path`` (stepping
# back to a question the case has not answered), ``action_not_offered`` (an action its outcome does not offer).
ERROR_CODES = (
    "invalid", "not_found", "invalid_credentials", "email_in_use", "email_verification_pending", "status_same_day",
    "status_date_too_early", "bulk_status_date_too_early", "member_number_taken", "member_number_gap",
    "apass_not_eligible", "apass_not_linked", "unlink_not_confirmed", "invoice_has_payments", "invoice_cancelled",
    "amount_exceeds_invoice", "remarks_required", "not_sandbox", "permission_denied", "link_expired",
    "link_superseded", "link_used", "invalid_transition", "email_locked_by_apass", "member_not_withdrawn",
    "rate_limited", "statement_invalid",
    "database_busy", "server_error", "wrong_session_email",
    "case_node_not_current", "case_node_not_on_path", "action_not_offered",
    "procedure_not_applicable",
)
