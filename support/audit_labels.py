"""The support app's labels on the audit screens."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from backoffice import audit

from .models import Case, FlowVersion

ACTION_LABELS = {
    "support.flow.published": pgettext_lazy("audit action", "Support flow published"),
    "support.case.created": pgettext_lazy("audit action", "Support case started"),
    "support.case.answered": pgettext_lazy("audit action", "Support case answered"),
    "support.case.stepped_back": pgettext_lazy("audit action", "Support case stepped back"),
    "support.case.action": pgettext_lazy("audit action", "Support case action"),
    "support.case.noted": pgettext_lazy("audit action", "Support case note added"),
    "support.case.resumed": pgettext_lazy("audit action", "Support case resumed"),
}


#: the keys of the cases' entries (support/services.py) that are not the case's own fields
CASE_FIELDS = {
    "flow": pgettext_lazy("audit field", "flow"),
    "version": pgettext_lazy("audit field", "flow version"),
    "current": pgettext_lazy("audit field", "current step"),
    "identity": pgettext_lazy("audit field", "identity check"),
    "disclosed": pgettext_lazy("audit field", "told the caller"),
    "node": pgettext_lazy("audit field", "step"),
    "answer": pgettext_lazy("audit field", "answer"),
    "action": pgettext_lazy("audit field", "action run"),
    "params": pgettext_lazy("audit field", "parameters"),
    "ok": pgettext_lazy("audit field", "succeeded"),
    "procedure": pgettext_lazy("audit field", "guided procedure"),
    "code": pgettext_lazy("audit field", "refusal code"),
    "note": pgettext_lazy("audit field", "note"),
    "changed": pgettext_lazy("audit field", "changed"),
    "facts_changed": pgettext_lazy("audit field", "facts changed since"),
}
FLOW_FIELDS = {"content_hash": pgettext_lazy("audit field", "content hash")}


def register() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_target_models(Case, FlowVersion)
    audit.register_field_labels(Case, CASE_FIELDS, choices={"status": Case.Status.choices})
    audit.register_field_labels(FlowVersion, {**FLOW_FIELDS, "flow": CASE_FIELDS["flow"],
                                              "version": CASE_FIELDS["version"]})
