"""Billing screens: invoices — [個人会員請求検索] (BIL-8): keyword in the invoice name, 請求・入金状況 (several),
請求区分 (several), 年度, member, run; the status derived by the list's one query (BIL-4); per invoice
[請求内容確定] and [請求取消], and for a selection (all or none, BIL-7); the invoice page edits the name and
the 請求調整額 until the invoice is cancelled; a single invoice is added for one member."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, F, Sum
from django.template.response import TemplateResponse
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backoffice.adminkit import ServiceAdmin, can_write, report_domain_error, user_society
from backoffice.errors import DomainError

from ..models import Category, Invoice, InvoiceStatus
from ..selectors import (billing_run_cancel_refusal, invoice_cancel_refusal, invoice_edit_refusal,
                         invoices_cancel_refusals, invoices_of, reminder_skip_reason)
from ..templatetags.billing_format import yen
from .links import INVOICE_PAGE_LINKS, INVOICE_SELECTION_ACTIONS, other_app_links
from ..services import invoices as services


def _id(object_id) -> int:
    """An object id from the URL; anything else ("abc", 30 digits) finds nothing."""
    text_id = str(object_id)
    return int(text_id) if text_id.isdigit() and len(text_id) < 19 else 0


class MultiChoiceFilter(admin.ListFilter):
    """A filter of several values at once (``?status=unpaid,partially_paid``): each choice toggles."""

    parameter_name = ""
    field = ""
    options: list = []

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        raw = ""
        if self.parameter_name in params:
            raw = params.pop(self.parameter_name)[-1]
            self.used_parameters[self.parameter_name] = raw
        valid = [str(v) for v, _label in self.options]
        wanted = set(raw.split(",")) if raw else set()
        self.values = [v for v in valid if v in wanted]

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        return queryset.filter(**{f"{self.field}__in": self.values}) if self.values else queryset

    def choices(self, changelist):
        yield {"selected": not self.values, "display": _("All"),
               "query_string": changelist.get_query_string(remove=[self.parameter_name])}
        for value, label in self.options:
            chosen = set(self.values) ^ {str(value)}
            ordered = [str(v) for v, _l in self.options if str(v) in chosen]
            query = (changelist.get_query_string({self.parameter_name: ",".join(ordered)}) if ordered
                     else changelist.get_query_string(remove=[self.parameter_name]))
            selected = str(value) in self.values
            yield {"selected": selected, "query_string": query, "display": ("☑ " if selected else "☐ ") + str(label)}


class StatusFilter(MultiChoiceFilter):
    title = pgettext_lazy("billing", "Invoice and payment status")
    parameter_name = "status"
    field = "status"
    options = InvoiceStatus.choices


class CategoryFilter(MultiChoiceFilter):
    title = pgettext_lazy("billing", "Category")
    parameter_name = "category"
    field = "category"
    options = Category.choices


class FiscalYearFilter(admin.SimpleListFilter):
    title = pgettext_lazy("billing", "Fiscal year")
    parameter_name = "fiscal_year"

    def lookups(self, request, model_admin):
        years = (Invoice.objects.visible_to(request.user).order_by("-fiscal_year")
                 .values_list("fiscal_year", flat=True).distinct()[:30])
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(fiscal_year=int(value)) if value.isdigit() and len(value) <= 4 else queryset.none()


class IdFilter(admin.SimpleListFilter):
    """One member's (``?member=<id>``) or one run's (``?run=<id>``) invoices; shown only while it filters."""

    field = ""

    def lookups(self, request, model_admin):
        return [(self.value(), self.value())] if self.value() else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(**{self.field: int(value)}) if value.isdigit() and len(value) < 19 else queryset.none()


class MemberIdFilter(IdFilter):
    title = gettext_lazy("member")
    parameter_name = "member"
    field = "member_id"


class RunIdFilter(IdFilter):
    title = pgettext_lazy("billing", "Billing run")
    parameter_name = "run"
    field = "run_id"


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["member", "name", "category", "fiscal_year", "amount", "due_date", "adjustment"]


@admin.register(Invoice)
class InvoiceAdmin(ServiceAdmin):
    """[個人会員請求検索]"""

    form = InvoiceForm
    list_display = ("number", "member_col", "name", "category", "fiscal_year", "amount_col", "adjustment_col", "total_col",
                    "paid_col", "status_col", "confirmed_col", "operations")
    list_display_links = ("number",)
    list_filter = (StatusFilter, CategoryFilter, FiscalYearFilter, MemberIdFilter, RunIdFilter)
    search_fields = ("name",)
    search_help_text = gettext_lazy("Keyword: part of the invoice name, e.g. 2025年度.")
    autocomplete_fields = ("member",)
    actions = ["confirm_selected", "cancel_selected"]
    ordering = ("-fiscal_year", "-number")
    change_list_template = "admin/billing/invoice/change_list.html"
    change_form_template = "admin/billing/invoice/change_form.html"

    def get_queryset(self, request):
        return invoices_of(request.user)

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        return (queryset.filter(name__icontains=term) if term else queryset), False

    # --- columns ---
    @admin.display(description=gettext_lazy("member"), ordering="member__member_number")
    def member_col(self, invoice):
        return format_html('<a href="{}">{}</a>', reverse("admin:members_member_change", args=[invoice.member_id]),
                           str(invoice.member))

    @admin.display(description=pgettext_lazy("billing", "Amount billed"), ordering="amount")
    def amount_col(self, invoice):
        return yen(invoice.amount)

    @admin.display(description=pgettext_lazy("billing", "Adjustment"), ordering="adjustment")
    def adjustment_col(self, invoice):
        return yen(invoice.adjustment)

    @admin.display(description=gettext_lazy("Total"), ordering="total")
    def total_col(self, invoice):
        return yen(invoice.total)

    @admin.display(description=pgettext_lazy("billing", "Amount paid"), ordering="paid")
    def paid_col(self, invoice):
        return yen(invoice.paid)

    @admin.display(description=pgettext_lazy("billing", "Invoice and payment status"), ordering="status")
    def status_col(self, invoice):
        return format_html('<span class="invoice-status {}">{}</span>', invoice.status,
                           InvoiceStatus(invoice.status).label)

    @admin.display(description=gettext_lazy("Confirmed"), boolean=True)
    def confirmed_col(self, invoice):
        return invoice.confirmed_at is not None

    @admin.display(description=gettext_lazy("Operations"))
    def operations(self, invoice):
        if invoice_edit_refusal(invoice) is not None:
            return "—"
        buttons = []
        if invoice.confirmed_at is None:
            buttons.append(format_html(
                '<button type="submit" formaction="{}" formmethod="post" name="invoice_act" value="confirm">[{}]</button>',
                reverse("admin:billing_invoice_confirm", args=[invoice.pk]), _("Confirm invoice contents")))
        buttons.append(format_html(  # a link: [請求取消] first shows what it will change (issue 12 point 7)
            '<a class="button invoice-cancel-link" href="{}">[{}]</a>',
            reverse("admin:billing_invoice_cancel", args=[invoice.pk]), _("Cancel invoice")))
        return format_html('<span class="invoice-ops">{}</span>', mark_safe("".join(str(b) for b in buttons)))  # noqa: S308 - each built by format_html

    def get_list_display(self, request):
        if can_write(request):
            return self.list_display
        return tuple(c for c in self.list_display if c != "operations")

    def changelist_view(self, request, extra_context=None):
        extra = {"title": Invoice._meta.verbose_name_plural, "module_name": Invoice._meta.verbose_name,
                 "can_write": can_write(request),
                 "is_nav_sidebar_enabled": False,  # twelve columns need the width at 1280 px (issue 7)
                 **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_write(request) or user_society(request) is None:
            actions.pop("confirm_selected", None)
            actions.pop("cancel_selected", None)
        if user_society(request) is not None:  # other apps' actions (support's guided procedures), as they allow
            for name, action, description, allowed in INVOICE_SELECTION_ACTIONS:
                if allowed(request):
                    actions[name] = (action, name, description)
        return actions

    # --- per-invoice acts ---
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/confirm/", wrap(self.confirm_view), name="billing_invoice_confirm"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name="billing_invoice_cancel"),
        ] + super().get_urls()

    def _act(self, request, object_id, call, success):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_write(request):
            raise PermissionDenied
        invoice = self.get_queryset(request).filter(pk=_id(object_id)).first()
        if invoice is None:
            raise Http404(_("Not found."))
        try:
            call(invoice)
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, success % {"number": invoice.number})
        back = request.META.get("HTTP_REFERER") or ""
        if not back.startswith(request.build_absolute_uri("/")):
            back = reverse("admin:billing_invoice_change", args=[invoice.pk])
        return HttpResponseRedirect(back)

    def confirm_view(self, request, object_id):
        """[請求内容確定] of one invoice (BIL-3)."""
        return self._act(request, object_id, lambda i: services.invoice_confirm(actor=request.user, invoice=i),
                         _("Invoice %(number)s was confirmed; it shows on My Page."))

    def cancel_view(self, request, object_id):
        """[請求取消] of one member's invoice (BIL-7): the confirmation page (what will change, or why it cannot),
        then [確定] cancels and goes back to the invoice's page."""
        if not can_write(request):
            raise PermissionDenied
        invoice = self.get_queryset(request).filter(pk=_id(object_id)).first()
        if invoice is None:
            raise Http404(_("Not found."))
        back = reverse("admin:billing_invoice_change", args=[invoice.pk])
        if request.method == "POST" and "confirm" in request.POST:
            try:
                services.invoice_cancel(actor=request.user, invoice=invoice)
            except DomainError as exc:
                report_domain_error(request, exc)
            else:
                messages.success(request, _("Invoice %(number)s was cancelled.") % {"number": invoice.number})
                return HttpResponseRedirect(back)
        return cancel_confirmation(self, request, self.get_queryset(request).filter(pk=invoice.pk), back_url=back)

    # --- selection acts ---
    @admin.action(description=gettext_lazy("Confirm invoice contents of the selected invoices"))
    def confirm_selected(self, request, queryset):
        n = 0
        try:
            for invoice in queryset.order_by("pk"):
                if invoice_edit_refusal(invoice) is None and invoice.confirmed_at is None:
                    services.invoice_confirm(actor=request.user, invoice=invoice)
                    n += 1
        except DomainError as exc:
            report_domain_error(request, exc)
        messages.success(request, _("Confirmed %(n)d invoices; they show on My Page.") % {"n": n})

    @admin.action(description=gettext_lazy("Cancel the selected invoices (all or none)"))
    def cancel_selected(self, request, queryset):
        """The confirmation page of the selection first; its [確定] posts the action again with ``confirm``."""
        if "confirm" not in request.POST:
            return cancel_confirmation(self, request, queryset, back_url=request.get_full_path(),
                                       action="cancel_selected")
        try:
            n = services.invoices_bulk_cancel(actor=request.user, society=user_society(request),
                                              invoice_ids=list(queryset.values_list("pk", flat=True)))
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, _("Cancelled %(n)d invoices.") % {"n": n})
        return None

    # --- the invoice page: name and 請求調整額 until cancelled; a single invoice ---
    def get_fields(self, request, obj=None):
        if obj is None:
            return ["member", "name", "category", "fiscal_year", "amount", "due_date"]
        return ["number", "member", "run", "name", "category", "fiscal_year", "amount_col", "adjustment", "due_date",
                "confirmed_at", "cancelled_at", "settlement_number"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = () if invoice_edit_refusal(obj) is not None else ("name", "adjustment")
        return tuple(f for f in self.get_fields(request, obj) if f not in editable)

    def has_change_permission(self, request, obj=None):
        if obj is not None and invoice_edit_refusal(obj) is not None:
            return False  # BIL-7: a cancelled invoice cannot be edited
        return super().has_change_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = dict(extra_context or {})
        if object_id and _id(object_id):
            obj = self.get_queryset(request).filter(pk=_id(object_id)).first()
            if obj is not None:
                extra.update(invoice=obj, status_label=InvoiceStatus(obj.status).label,
                             cancel_refusal=invoice_cancel_refusal(obj), edit_refusal=invoice_edit_refusal(obj),
                             other_app_links=other_app_links(INVOICE_PAGE_LINKS, request, obj),
                             **self._invoice_links(request, obj))
        extra.setdefault("title", _("Invoice") if object_id else _("Add an invoice"))
        return super().changeform_view(request, object_id, form_url, extra)

    def _invoice_links(self, request, invoice) -> dict:
        """Where an invoice's page leads (issue 7): [入金情報登録] (its page shows the invoice's [入金履歴] to every
        role; the form only to roles that write), [入金履歴], 請求書PDF and, for an invoice still owed and a role
        that writes, 督促メール送信."""
        links = {
            "register_url": reverse("admin:billing_payment_register", args=[invoice.pk]),
            "payments_url": reverse("admin:billing_payment_changelist") + "?" + urlencode({"invoice": invoice.pk}),
            "pdf_url": reverse("billing-invoice-pdf", kwargs={"pk": invoice.pk}),
        }
        if can_write(request) and reminder_skip_reason(invoice) is None:
            links["remind_url"] = reverse("billing-remind") + "?" + urlencode({"ids": invoice.pk})
        return links

    def save_with_service(self, request, form, obj):
        data = form.cleaned_data
        if obj is None:
            return services.invoice_create(actor=request.user, society=user_society(request), member=data["member"],
                                           name=data["name"], category=data["category"],
                                           fiscal_year=data["fiscal_year"], amount=data["amount"],
                                           due_date=data.get("due_date"))
        changes = {k: data[k] for k in ("name", "adjustment") if k in form.changed_data}
        return services.invoice_update(actor=request.user, invoice=obj, **changes)


#: How many invoices a confirmation page lists (a run may hold 100,000; the counts and the sum cover all).
CONFIRM_LIST_LIMIT = 200


def cancel_confirmation(model_admin, request, invoices, *, back_url: str, action: str = "", run=None):
    """The page every [請求取消] shows before it cancels (BIL-7, issue 12 point 7): which invoices (請求番号, member,
    請求名称, amount), that it cannot be undone, and — asked of ``invoices_cancel_refusals`` before [確定] — those
    that cannot be cancelled and why (then there is no [確定]); a run under way cannot be cancelled either
    (``billing_run_cancel_refusal``). With ``action`` the form posts that changelist
    action again with the same selection (to ``back_url``, the list with its filters); otherwise to the page
    itself. A run's page passes its live invoices and the run."""
    invoices = invoices.order_by("number")
    refusals = invoices_cancel_refusals(invoices)
    run_refusal = billing_run_cancel_refusal(run, invoice_refusals=refusals) if run is not None else None
    listed = list(invoices.select_related("member")[:CONFIRM_LIST_LIMIT])
    if len(listed) < CONFIRM_LIST_LIMIT:
        count, total = len(listed), sum(i.amount + i.adjustment for i in listed)
    else:
        summary = invoices.aggregate(n=Count("pk"), s=Sum(F("amount") + F("adjustment")))
        count, total = summary["n"], summary["s"] or 0
    payments_url = reverse("admin:billing_payment_changelist")
    rows = []
    for invoice in listed:
        refusal = refusals.get(invoice.pk)
        rows.append((invoice, invoice.amount + invoice.adjustment, refusal,
                     refusal is not None and refusal.code == "invoice_has_payments",
                     payments_url + "?" + urlencode({"invoice": invoice.pk})))
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request), "opts": opts, "app_label": opts.app_label,
        "title": _("Cancel invoice"), "rows": rows, "count": count, "more": count - len(listed), "total": total,
        "refused_count": len(refusals), "run_refusal": run_refusal, "back_url": back_url, "run": run, "run_opts": run._meta if run else None,
        "form_url": back_url if action else request.path, "action": action,
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME) if action else [],
        "select_across": request.POST.get("select_across", "0") if action else "0",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/billing/invoice/cancel_confirm.html", context)
