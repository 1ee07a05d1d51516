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

    It is also the one shape of a rule predicate's answer (DESIGN.md 5b): a ``<noun>_<verb>_refusal(...)``
    selector returns one or None, and the service raises exactly what it returned. ``evidence`` is what a
    support fact can show beside the refusal (the conflicting date, the holder of a number, the A-Pass
    e-mail): a short dict of plain values (or a text). It is not part of the API's error body.
    """

    status = 400

    def __init__(self, code: str, message: Any, *, status: int | None = None, fields: dict | None = None,
                 evidence: dict | str | None = None):
        super().__init__(str(message))
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.fields = fields or {}
        self.evidence = evidence if evidence is not None else {}

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
# State conflicts that answered the generic ``invalid`` carry their own codes (409, issue 13): ``society_slug_taken``,
# ``member_type_code_taken``, ``member_number_not_assigned`` (a correction of a member with no number yet),
# ``mail_already_sent`` (retrying a mail that went out).
# Billing (409): ``payment_already_deleted`` (PAY-2, deleting again), ``statement_row_already_matched`` and
# ``statement_row_duplicate`` (PAY-6, matching a row that is not waiting), ``billing_run_not_failed`` (再実行 of a
# run that did not fail), ``billing_run_in_progress`` (confirming, renaming or cancelling a run still under way).
ERROR_CODES = (
    "invalid", "not_found", "invalid_credentials", "email_in_use", "email_verification_pending", "status_same_day",
    "status_date_too_early", "bulk_status_date_too_early", "member_number_taken", "member_number_gap",
    "apass_not_eligible", "apass_not_linked", "unlink_not_confirmed", "invoice_has_payments", "invoice_cancelled",
    "amount_exceeds_invoice", "remarks_required", "not_sandbox", "permission_denied", "link_expired",
    "link_superseded", "link_used", "invalid_transition", "email_locked_by_apass", "member_not_withdrawn",
    "rate_limited", "statement_invalid",
    "database_busy", "server_error", "wrong_session_email",
    "case_node_not_current", "case_node_not_on_path", "action_not_offered",
    "society_slug_taken", "member_type_code_taken", "member_number_not_assigned", "mail_already_sent",
    # billing's state conflicts (409), each saying what conflicts (DESIGN 5b)
    "payment_already_deleted", "statement_row_already_matched", "statement_row_duplicate", "billing_run_not_failed",
    "billing_run_in_progress",
    "procedure_not_applicable",
    # a guided procedure confirmed after its records changed since the preview (another operator acted; SUP-4)
    "procedure_changed",
    # support (409): the identity check did not match the record (SUP-9); resuming a case that is not open
    "identity_not_confirmed", "case_not_open",
    # the token endpoint (SEC-6): a two-step code is needed (401); deleting an operator already deleted (409)
    "otp_required", "operator_deleted",
)
