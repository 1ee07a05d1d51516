"""The question the stats answer (SUP-10): ``flow``, ``version``, ``from``, ``to`` — one form, read by the dashboard
「サポートの集計」 and by ``GET /api/v1/support/stats/``, so both refuse the same input with the same messages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormDateField, HalfWidthFormIntegerField

from . import selectors
from .flows import SHIPPED
from .models import FlowVersion
from .services import MSG_UNKNOWN_FLOW

MSG_FLOW_REQUIRED = _("Choose the flow (flow).")
MSG_UNKNOWN_VERSION = _("The flow %(flow)s has no version %(version)s.")
MSG_PERIOD_REVERSED = _("The end of the period comes before its start.")


def flow_choices() -> list[tuple[str, str]]:
    """The shipped flows, then any other flow that has a stored version (one query)."""
    choices = {d["id"]: d["title"] for d in SHIPPED.values()}
    for flow, title in FlowVersion.objects.order_by("flow", "-version").values_list("flow", "title"):
        choices.setdefault(flow, title)
    return list(choices.items())


class StatsForm(forms.Form):
    """``from`` and ``to`` are dates of case creation on the society clock, both included; either may be left
    open. Leaving ``version`` out counts every version of the flow. ``versions`` (the flow's stored versions,
    newest first) is set once the form is valid, for ``selectors.support_stats``."""

    flow = forms.CharField(label=_("flow"), max_length=50, required=False)
    version = HalfWidthFormIntegerField(label=_("version"), required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the two dates are added by name
        self.fields["from"] = HalfWidthFormDateField(label=pgettext_lazy("period", "From"), required=False,
                                                      widget=forms.DateInput(attrs={"placeholder": "YYYY-MM-DD"}))
        self.fields["to"] = HalfWidthFormDateField(label=pgettext_lazy("period", "To"), required=False,
                                                    widget=forms.DateInput(attrs={"placeholder": "YYYY-MM-DD"}))
        self.versions: list[FlowVersion] = []

    def clean_flow(self) -> str:
        flow = (self.cleaned_data.get("flow") or "").strip()
        if not flow:
            raise forms.ValidationError(MSG_FLOW_REQUIRED, code="required")
        self.versions = selectors.flow_versions(flow)
        if not selectors.flow_known(flow, self.versions):
            raise forms.ValidationError(MSG_UNKNOWN_FLOW % {"flow": flow}, code="unknown_flow")
        return flow

    def clean(self):
        data = super().clean()
        flow, version = data.get("flow"), data.get("version")
        if flow and version is not None and version not in {v.version for v in self.versions}:
            self.add_error("version", forms.ValidationError(
                MSG_UNKNOWN_VERSION % {"flow": flow, "version": version}, code="unknown_version"))
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            self.add_error("to", forms.ValidationError(MSG_PERIOD_REVERSED, code="period_reversed"))
        return data

    def query(self) -> selectors.StatsQuery:
        data = self.cleaned_data
        return selectors.StatsQuery(flow=data["flow"], version=data.get("version"), date_from=data.get("from"),
                                    date_to=data.get("to"))

    def refusal(self) -> DomainError:
        """The API's 400 ``invalid``: the first field's message as ``detail``, every field in ``fields``."""
        fields = {name: [str(m) for m in messages] for name, messages in self.errors.items()}
        first = next(iter(fields))
        return DomainError("invalid", fields[first][0], fields=fields)
