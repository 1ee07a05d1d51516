"""Billing screens: payments — [入金履歴] (deleted ones struck through, with who and why), [入金情報登録] for one
invoice, the split over several years' invoices (PAY-4) and [入金履歴削除] asking for the reason (PAY-2).

Reached by URL: ``/admin/billing/payment/register/<invoice id>/`` (from an invoice), ``/admin/billing/payment/
?member=<id>`` and ``/admin/billing/payment/split/<member id>/`` (from a member)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backoffice import clock
from backoffice.adminkit import SocietyScopedAdmin, can_write, report_domain_error
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormCharField, HalfWidthFormDateField, HalfWidthFormIntegerField
from members.models import Member

from .. import selectors
from ..models import ONLINE_METHODS, Channel, Invoice, InvoiceStatus, Payment, PaymentMethod
from ..services import payments as services
from ..templatetags.billing_format import yen
from .links import PAYMENT_LINKS, other_app_links

MAX_AMOUNT = 10**10
OFFLINE_CHOICES = [(v, label) for v, label in PaymentMethod.choices if v not in ONLINE_METHODS]


class PaymentRegisterForm(forms.Form):
    amount = HalfWidthFormIntegerField(label=pgettext_lazy("billing", "Amount paid"), min_value=1, max_value=MAX_AMOUNT)
    method = forms.ChoiceField(label=pgettext_lazy("billing", "Payment method"), choices=PaymentMethod.choices)
    paid_on = HalfWidthFormDateField(label=pgettext_lazy("billing", "Paid on"))
    settlement_number = HalfWidthFormCharField(label=pgettext_lazy("billing", "Settlement number"), max_length=64,
                                               required=False, help_text=gettext_lazy(
                                                   "For an online payment left empty, the settlement number the "
                                                   "remarks name is used."))
    remarks = forms.CharField(label=pgettext_lazy("billing", "Remarks"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                              help_text=gettext_lazy("For an online payment, enter a settlement number of this "
                                                     "member and a work memo."))


class PaymentSplitForm(forms.Form):
    method = forms.ChoiceField(label=pgettext_lazy("billing", "Payment method"), choices=OFFLINE_CHOICES)
    paid_on = HalfWidthFormDateField(label=pgettext_lazy("billing", "Paid on"))
    remarks = forms.CharField(label=pgettext_lazy("billing", "Remarks"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class PaymentDeleteForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("billing", "Reason for deletion"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class _ShownWhileFiltering(admin.SimpleListFilter):
    """A filter set from a link (``?invoice=`` / ``?member=``), shown only while it filters."""

    field = ""
    model = None  # what the id names: the choice reads as that record (「請求: 000043 2026年度 年会費」, not 「請求: 43」)

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        shown = None
        if value.isdigit() and int(value) <= 2**63 - 1:
            shown = self.model._default_manager.visible_to(request.user).filter(pk=int(value)).first()
        return [(value, str(shown) if shown is not None else value)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit() or int(value) > 2**63 - 1:
            return queryset.none()
        return queryset.filter(**{self.field: int(value)})


class InvoiceFilter(_ShownWhileFiltering):
    title = pgettext_lazy("billing", "Invoice")
    parameter_name = "invoice"
    field = "invoice_id"
    model = Invoice


class MemberFilter(_ShownWhileFiltering):
    title = gettext_lazy("member")
    parameter_name = "member"
    field = "invoice__member_id"
    model = Member


class DeletedFilter(admin.SimpleListFilter):
    title = gettext_lazy("deleted payments")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Live payments only")), ("yes", _("Deleted payments only"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


def _struck(payment, value):
    return format_html("<del>{}</del>", value) if payment.deleted else value


@admin.register(Payment)
class PaymentAdmin(SocietyScopedAdmin):
    """[入金履歴]"""

    list_display = ("receipt_col", "invoice_col", "member_col", "amount_col", "method_col", "paid_on_col",
                    "remarks_col", "deletion_col", "receipt_pdf", "operations")
    list_display_links = None
    list_filter = (InvoiceFilter, MemberFilter, DeletedFilter, "method")
    list_select_related = ("society", "invoice", "invoice__member")
    ordering = ("-paid_on", "-id")
    actions = None
    # A payment's page (read-only): the society is the operator's own (its settings page is administrators'),
    # the amount as money, the statement row by its line (issue 12 point 10).
    fields = ("receipt_number", "invoice", "amount_col", "method", "paid_on", "settlement_number", "remarks",
              "statement_row_col", "created_at", "deleted_at", "deleted_by", "deleted_reason")

    def has_add_permission(self, request):
        return False  # registered from an invoice ([入金情報登録])

    def has_change_permission(self, request, obj=None):
        return False  # a payment is never edited: deleted and registered again

    @admin.display(description=pgettext_lazy("billing", "Receipt number"), ordering="receipt_number")
    def receipt_col(self, obj):
        return _struck(obj, obj.receipt_number)

    @admin.display(description=pgettext_lazy("billing", "Invoice"))
    def invoice_col(self, obj):
        url = reverse("admin:billing_payment_register", args=[obj.invoice_id])
        return format_html('<a href="{}">{}</a>', url, f"{obj.invoice.number} {obj.invoice.name}")

    @admin.display(description=gettext_lazy("member"))
    def member_col(self, obj):
        return str(obj.invoice.member)

    @admin.display(description=pgettext_lazy("billing", "Amount paid"), ordering="amount")
    def amount_col(self, obj):
        return _struck(obj, yen(obj.amount))

    @admin.display(description=pgettext_lazy("billing", "Bank statement row"))
    def statement_row_col(self, obj):
        row = obj.statement_row
        if row is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:billing_bankstatement_change", args=[row.statement_id]),
                           str(row))

    @admin.display(description=pgettext_lazy("billing", "Payment method"))
    def method_col(self, obj):
        return f"{obj.get_method_display()} ({Channel(obj.channel).label})"

    @admin.display(description=pgettext_lazy("billing", "Paid on"), ordering="paid_on")
    def paid_on_col(self, obj):
        return _struck(obj, obj.paid_on)

    @admin.display(description=pgettext_lazy("billing", "Remarks"))
    def remarks_col(self, obj):
        parts = [p for p in (obj.settlement_number, obj.remarks) if p]
        return " / ".join(parts) or "—"

    @admin.display(description=gettext_lazy("Deleted"))
    def deletion_col(self, obj):
        if not obj.deleted:
            return "—"
        local = obj.deleted_at.astimezone(clock.society_timezone(obj.society))
        return format_html('<span class="payment-deleted">{} {}<br>{}</span>', obj.deleted_by,
                           local.strftime("%Y-%m-%d %H:%M"), obj.deleted_reason or "—")

    @admin.display(description=pgettext_lazy("billing", "Receipt"))
    def receipt_pdf(self, obj):
        """領収書 PDF (BIL-10), also of a deleted payment (stamped 削除済み)."""
        return format_html('<a href="{}" class="receipt-pdf">{}</a>',
                           reverse("billing-receipt-pdf", kwargs={"pk": obj.pk}), _("Receipt (PDF)"))

    @admin.display(description=gettext_lazy("Operations"))
    def operations(self, obj, request=None):
        """[入金履歴削除] and the links other apps register for a payment (support's guided procedures)."""
        links = [] if request is None else other_app_links(PAYMENT_LINKS, request, obj)
        html = [format_html('<a href="{}" id="{}">{}</a>', url, link_id, label) for label, url, link_id in links]
        if selectors.payment_delete_refusal(obj) is None:
            html.insert(0, format_html('<a href="{}">[{}]</a>',
                                       reverse("admin:billing_payment_delete_history", args=[obj.pk]),
                                       _("Delete payment history")))
        return format_html_join(mark_safe("<br>"), "{}", ((h,) for h in html))

    def get_list_display(self, request):
        if not can_write(request):
            return tuple(c for c in self.list_display if c != "operations")

        @admin.display(description=gettext_lazy("Operations"))
        def operations(obj):
            return self.operations(obj, request)
        return tuple(operations if c == "operations" else c for c in self.list_display)

    def changelist_view(self, request, extra_context=None):
        extra = {"title": _("Payment history"), "is_nav_sidebar_enabled": False, **(extra_context or {})}
        member_id = request.GET.get("member", "")
        if member_id.isdigit() and can_write(request):
            extra["split_url"] = reverse("admin:billing_payment_split", args=[int(member_id)])
        return super().changelist_view(request, extra_context=extra)

    # --- screens ---
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("register/<int:invoice_id>/", wrap(self.register_view), name="billing_payment_register"),
            path("split/<int:member_id>/", wrap(self.split_view), name="billing_payment_split"),
            path("<int:payment_id>/delete-history/", wrap(self.delete_view_), name="billing_payment_delete_history"),
        ] + [u for u in super().get_urls() if getattr(u, "name", None) != "billing_payment_delete"]

    def _context(self, request, title, **kwargs):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                "app_label": self.opts.app_label, "can_write": can_write(request), **kwargs}

    def _invoice(self, request, invoice_id) -> Invoice:
        invoice = selectors.invoices_of(request.user).filter(pk=invoice_id).first()
        if invoice is None:
            raise Http404(_("Not found."))
        return invoice

    def register_view(self, request, invoice_id):
        """[入金情報登録] for one invoice, with its payment history."""
        invoice = self._invoice(request, invoice_id)
        today = clock.today(invoice.society)
        form = PaymentRegisterForm(request.POST or None, initial={
            "paid_on": today, "amount": selectors.outstanding_of(invoice) or None, "method": "bank_transfer"})
        if request.method == "POST":
            if not can_write(request):
                raise PermissionDenied
            if form.is_valid():
                try:
                    payment = services.payment_register(actor=request.user, invoice=invoice, **form.cleaned_data)
                except DomainError as exc:
                    report_domain_error(request, exc, form=form)
                else:
                    messages.success(request, _("The payment was registered (receipt number %(number)s).")
                                     % {"number": payment.receipt_number})
                    return HttpResponseRedirect(request.path)
        payments = list(invoice.payments.order_by("paid_on", "id"))
        for payment in payments:
            payment.channel_label = Channel(payment.channel).label
            payment.delete_refusal = selectors.payment_delete_refusal(payment)
            payment.other_app_links = other_app_links(PAYMENT_LINKS, request, payment)
        return TemplateResponse(request, "admin/billing/payment/register.html", self._context(
            request, _("Register payment information"), invoice=invoice, form=form, payments=payments,
            outstanding=selectors.outstanding_of(invoice), status_label=InvoiceStatus(invoice.status).label,
            invoice_url=reverse("admin:billing_invoice_change", args=[invoice.pk]),
            pdf_url=reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}),
            payments_url=reverse("admin:billing_payment_changelist") + "?" + urlencode({"invoice": invoice.pk}),
            split_url=reverse("admin:billing_payment_split", args=[invoice.member_id])))

    def split_view(self, request, member_id):
        """PAY-4: 入金額を各年度の請求に振り分けて登録 — one offline payment over several invoices, all or none."""
        member = Member.objects.visible_to(request.user).filter(pk=member_id).first()
        if member is None:
            raise Http404(_("Not found."))
        invoices = list(selectors.invoices_of(request.user).filter(member=member, cancelled_at__isnull=True)
                        .order_by("fiscal_year", "number"))
        form = PaymentSplitForm(request.POST or None, initial={"paid_on": clock.today(member.society),
                                                                "method": "bank_transfer"})
        typed = {i.pk: request.POST.get(f"amount_{i.pk}", "") for i in invoices} if request.method == "POST" else {}
        if request.method == "POST":
            if not can_write(request):
                raise PermissionDenied
            allocations, bad = [], False
            for invoice in invoices:
                raw = typed[invoice.pk].strip()
                if not raw:
                    continue
                try:
                    amount = HalfWidthFormIntegerField(min_value=1, max_value=MAX_AMOUNT).clean(raw)
                except forms.ValidationError as exc:
                    form.add_error(None, f"{invoice.number} {invoice.name}: {' '.join(exc.messages)}")
                    bad = True
                    continue
                allocations.append((invoice, amount))
            if form.is_valid() and not bad:
                try:
                    payments = services.payments_split(actor=request.user, member=member, allocations=allocations,
                                                       **form.cleaned_data)
                except DomainError as exc:
                    report_domain_error(request, exc, form=form)
                else:
                    messages.success(request, _("Registered %(n)d payments.") % {"n": len(payments)})
                    return HttpResponseRedirect(reverse("admin:billing_payment_changelist") + "?"
                                                + urlencode({"member": member.pk}))
        rows = [(i, typed.get(i.pk, ""), selectors.outstanding_of(i), InvoiceStatus(i.status).label)
                for i in invoices]
        return TemplateResponse(request, "admin/billing/payment/split.html", self._context(
            request, _("Register payment information over several years"), member=member, form=form, rows=rows))

    def delete_view_(self, request, payment_id):
        """[入金履歴削除] (PAY-2): asks for the reason; the payment is kept, struck through, with who and why."""
        if not can_write(request):
            raise PermissionDenied
        payment = self.get_queryset(request).filter(pk=payment_id).first()
        if payment is None:
            raise Http404(_("Not found."))
        form = PaymentDeleteForm(request.POST or None)
        back = reverse("admin:billing_payment_changelist") + "?" + urlencode({"invoice": payment.invoice_id})
        refusal = selectors.payment_delete_refusal(payment)
        if refusal is not None:  # deleted already: say so (with who, when and why), no form
            report_domain_error(request, refusal)
            return HttpResponseRedirect(back)
        if request.method == "POST" and form.is_valid():
            try:
                services.payment_delete(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                report_domain_error(request, exc, form=form)
            else:
                messages.success(request, _("The payment history was deleted; it stays in the history as deleted."))
                return HttpResponseRedirect(back)
        invoice = Invoice.objects.with_status(without_payment=payment.pk).get(pk=payment.invoice_id)
        now = selectors.invoices_of(request.user).get(pk=payment.invoice_id)
        return TemplateResponse(request, "admin/billing/payment/delete.html", self._context(
            request, _("Delete payment history"), payment=payment, form=form, back_url=back,
            status_now=InvoiceStatus(now.status).label, paid_now=now.paid,
            status_after=InvoiceStatus(invoice.status).label, paid_after=invoice.paid))

