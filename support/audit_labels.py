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


def register() -> None:
    audit.register_action_labels(ACTION_LABELS)
    audit.register_target_models(Case, FlowVersion)
