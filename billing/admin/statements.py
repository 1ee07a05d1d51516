"""Billing screens: [入金消込] (PAY-6) — the imported statements, the upload, a statement's rows grouped by state
and the form that resolves an unmatched or ambiguous row by hand."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backoffice.adminkit import SocietyScopedAdmin, can_write, report_domain_error, user_society
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormIntegerField

from .. import selectors
from ..models import BankStatement, BankStatementRow, Invoice, InvoiceStatus
from ..services import statements as services

MAX_ALLOCATION_LINES = 5
MAX_FILE_BYTES = 20 * 1024 * 1024
REASON_LABELS = {
    services.REASON_SEVERAL_MEMBERS: gettext_lazy("Several members fit the payer name"),
    services.REASON_UNKNOWN_PAYER: gettext_lazy("No member fits the payer name"),
    services.REASON_AMOUNT_DIFFERS: gettext_lazy("The amount fits no open invoice of the member"),
}


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank statement file"))
    format = forms.ChoiceField(label=gettext_lazy("File format"), choices=BankStatement.Format.choices,
                               help_text=gettext_lazy("CSV: the columns 取引日, 金額 and 振込人名義 (UTF-8 or Shift_JIS). "
                                                      "Zengin: the 入出金取引明細 or 振込入金通知 fixed-length file."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class RowMatchForm(forms.Form):
    """Up to five (請求番号, amount) lines adding up to the row's amount."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_ALLOCATION_LINES):
            self.fields[f"invoice_{i}"] = HalfWidthFormIntegerField(
                label=pgettext_lazy("billing", "Invoice number"), required=False, min_value=1, max_value=2**62)
            self.fields[f"amount_{i}"] = HalfWidthFormIntegerField(
                label=pgettext_lazy("billing", "Amount paid"), required=False, min_value=1, max_value=10**10)

    def lines(self):
        return [(self[f"invoice_{i}"], self[f"amount_{i}"]) for i in range(MAX_ALLOCATION_LINES)]

    def allocations(self) -> list[tuple[int, int]]:
        pairs = []
        for i in range(MAX_ALLOCATION_LINES):
            number, amount = self.cleaned_data.get(f"invoice_{i}"), self.cleaned_data.get(f"amount_{i}")
            if number is None and amount is None:
                continue
            if number is None or amount is None:
                raise forms.ValidationError(_("Give both the invoice number and the amount on each line."))
            pairs.append((number, amount))
        return pairs


@admin.register(BankStatement)
class BankStatementAdmin(SocietyScopedAdmin):
    """[入金消込]"""

    list_display = ("statement_col", "imported_at", "format", "rows", "matched", "unmatched", "ambiguous", "duplicate",
                    "imported_by")
    list_display_links = ("statement_col",)
    ordering = ("-imported_at", "-id")
    actions = None

    @admin.display(description=gettext_lazy("File"))
    def statement_col(self, obj):
        return f"#{obj.pk} {obj.filename or '—'}"

    def has_change_permission(self, request, obj=None):
        return False  # read-only: the rows are resolved on their own form

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, extra_context={"title": _("Bank statement matching"),
                                                               **(extra_context or {})})

    def add_view(self, request, form_url="", extra_context=None):
        """Import a statement: one request, every row matched, queued or recognised as already imported."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = services.statement_import(actor=request.user, society=user_society(request),
                                                      data=upload.read(), file_format=form.cleaned_data["format"],
                                                      filename=upload.name or "")
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                messages.success(request, _(
                    "Imported %(rows)s rows: %(matched)s matched, %(unmatched)s unmatched, %(ambiguous)s ambiguous, "
                    "%(duplicate)s already imported.") % {
                    "rows": statement.rows, "matched": statement.matched, "unmatched": statement.unmatched,
                    "ambiguous": statement.ambiguous, "duplicate": statement.duplicate})
                return HttpResponseRedirect(reverse("admin:billing_bankstatement_change", args=[statement.pk]))
        return TemplateResponse(request, "admin/billing/bankstatement/upload.html", self._context(
            request, _("Import a bank statement"), form=form))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The statement's rows grouped by state; unmatched and ambiguous ones link to their resolve form."""
        statement = self._statement(request, object_id)
        rows = list(BankStatementRow.objects.filter(statement=statement).select_related("member")
                    .prefetch_related("payments").order_by("line"))
        order = [BankStatementRow.State.UNMATCHED, BankStatementRow.State.AMBIGUOUS, BankStatementRow.State.MATCHED,
                 BankStatementRow.State.DUPLICATE]
        groups = []
        for row in rows:
            row.match_refusal = selectors.statement_row_match_refusal(row)
        for state in order:
            members = [r for r in rows if r.state == state]
            for r in members:
                r.reason_label = REASON_LABELS.get(r.reason, "")
            groups.append((state, BankStatementRow.State(state).label, members))
        return TemplateResponse(request, "admin/billing/bankstatement/detail.html", self._context(
            request, _("Bank statement matching"), statement=statement, groups=groups))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:statement_id>/rows/<int:row_id>/match/", wrap(self.match_view),
                 name="billing_bankstatement_match"),
        ] + super().get_urls()

    def _context(self, request, title, **kwargs):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                "app_label": self.opts.app_label, "can_write": can_write(request), **kwargs}

    def _statement(self, request, object_id) -> BankStatement:
        if not str(object_id).isdigit() or int(object_id) > 2**63 - 1:
            raise Http404(_("Not found."))
        statement = self.get_queryset(request).filter(pk=int(object_id)).first()
        if statement is None:
            raise Http404(_("Not found."))
        return statement

    def match_view(self, request, statement_id, row_id):
        """Resolve an unmatched or ambiguous row: invoices (by 請求番号) and amounts adding up to the row's amount."""
        statement = self._statement(request, statement_id)
        row = BankStatementRow.objects.filter(statement=statement, pk=row_id).select_related("member").first()
        if row is None:
            raise Http404(_("Not found."))
        form = RowMatchForm(request.POST or None)
        if request.method == "POST":
            if not can_write(request):
                raise PermissionDenied
            if form.is_valid():
                try:
                    pairs = form.allocations()
                    by_number = dict(Invoice.objects.filter(society_id=statement.society_id,
                                                            number__in=[n for n, _a in pairs])
                                     .values_list("number", "pk"))
                    missing = [n for n, _a in pairs if n not in by_number]
                    if missing:
                        raise forms.ValidationError(_("No invoice has the number %(number)s.") % {"number": missing[0]})
                    services.statement_row_match(actor=request.user, row=row,
                                                 allocations=[(by_number[n], a) for n, a in pairs])
                except forms.ValidationError as exc:
                    form.add_error(None, exc)
                except DomainError as exc:
                    report_domain_error(request, exc, form=form)
                else:
                    messages.success(request, _("The row was matched and its payments registered."))
                    return HttpResponseRedirect(reverse("admin:billing_bankstatement_change", args=[statement.pk]))
        return TemplateResponse(request, "admin/billing/bankstatement/match.html", self._context(
            request, _("Resolve a bank statement row"), statement=statement, row=row, form=form,
            match_refusal=selectors.statement_row_match_refusal(row),
            reason_label=REASON_LABELS.get(row.reason, ""), candidates=self._candidates(request, row)))

    def _candidates(self, request, row):
        """Open invoices of the members the row points at (its member, or the namesakes of an ambiguous row)."""
        if row.member_id is not None:
            member_ids = [row.member_id]
        else:
            member_ids = services.MemberIndex(row.statement.society).candidates(row.payer_name)[:20]
        invoices = (selectors.invoices_of(request.user).filter(member_id__in=member_ids, cancelled_at__isnull=True,
                                                               confirmed_at__isnull=False)
                    .filter(status__in=[s.value for s in (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)])
                    .order_by("member_id", "fiscal_year", "number"))
        return [(i, selectors.outstanding_of(i)) for i in invoices[:100]]
