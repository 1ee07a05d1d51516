"""Billing screens: runs — [請求情報作成] (from the menu, or from a [個人会員検索] selection) and
[請求情報作成履歴] with each run's 作成状況 and progress bar updating itself (htmx polling; the manual's
「自動では更新されません」 is a defect we do not copy), the skip reasons on the run's page, [請求内容確定],
[請求取消] and [編集] (renaming, BIL-6)."""

from __future__ import annotations

import datetime
import re
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from backoffice import clock, text
from backoffice.adminkit import SocietyScopedAdmin, can_write, report_domain_error, user_society
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormDateField
from members.admin import register_member_action
from members.models import MemberType

from ..models import BillingRun, BillingRunSkip, Category, Invoice
from ..selectors import billing_run_retry_refusal, fiscal_year_of
from ..services import invoices as invoice_services
from .invoices import cancel_confirmation
from ..services import runs as run_services

SELECTION_SESSION_KEY = "billing_run_selection"
SELECTION_LIMIT = 500_000


class MonthFormField(forms.CharField):
    """請求引当開始月: ``YYYY-MM`` (the browser's month picker), full-width digits accepted."""

    def to_python(self, value):
        value = text.half_width(super().to_python(value) or "").strip().replace("/", "-")
        match = re.match(r"^(\d{4})-(\d{1,2})$", value)
        if not match or not (run_services.MIN_YEAR <= int(match.group(1)) <= run_services.MAX_YEAR
                             and 1 <= int(match.group(2)) <= 12):
            raise forms.ValidationError(_("Enter the allocation start month as YYYY-MM."))
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)


class BillingRunRequestForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("billing", "Invoice name"), max_length=100,
                           help_text=gettext_lazy("e.g. 2026年度 年会費"))
    category = forms.ChoiceField(label=pgettext_lazy("billing", "Category"), choices=Category.choices,
                                 initial=Category.ANNUAL)
    fiscal_year = forms.IntegerField(label=pgettext_lazy("billing", "Fiscal year"), min_value=run_services.MIN_YEAR,
                                     max_value=run_services.MAX_YEAR)
    allocation_start = MonthFormField(label=pgettext_lazy("billing", "Allocation start month"),
                                      widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
                                      help_text=gettext_lazy(
                                          "Members whose scheduled withdrawal date falls before this month are "
                                          "excluded automatically; the same month or later are billed."))
    due_date = HalfWidthFormDateField(label=pgettext_lazy("billing", "Due date"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    exclude_member_types = forms.ModelMultipleChoiceField(
        label=pgettext_lazy("billing", "Member types excluded"), queryset=MemberType.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    selection = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, society=None, **kwargs):
        super().__init__(*args, **kwargs)
        types = MemberType.objects.filter(society=society) if society is not None else MemberType.objects.none()
        self.fields["exclude_member_types"].queryset = types.order_by("sort_order", "id")
        self.fields["exclude_member_types"].label_from_instance = (
            lambda t: f"{t.name}({t.annual_fee:,}円)")


@admin.register(BillingRun)
class BillingRunAdmin(SocietyScopedAdmin):
    """[請求情報作成履歴] and [請求情報作成]."""

    list_display = ("requested_col", "name", "category", "fiscal_year", "allocation_col", "progress_col",
                    "operations")
    list_display_links = None
    list_filter = ("state", "category", "fiscal_year")
    search_fields = ("name",)
    search_help_text = gettext_lazy("Part of the invoice name.")
    ordering = ("-requested_at", "-id")
    actions = None
    change_list_template = "admin/billing/billingrun/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("society")

    # --- list ---
    @admin.display(description=gettext_lazy("Requested at"), ordering="requested_at")
    def requested_col(self, run):
        tz = clock.society_timezone(run.society)
        return run.requested_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=pgettext_lazy("billing", "Allocation start month"))
    def allocation_col(self, run):
        return run.allocation_start.strftime("%Y-%m")

    @admin.display(description=gettext_lazy("Creation status"))
    def progress_col(self, run):
        from django.template.loader import render_to_string

        return render_to_string("admin/billing/billingrun/_progress.html", {"run": run, "compact": True,
                                                                             "poll_url": self._progress_url(run, True)})

    @admin.display(description=gettext_lazy("Operations"))
    def operations(self, run):
        return format_html('<a href="{}">[{}]</a>', reverse("admin:billing_billingrun_change", args=[run.pk]),
                           _("Edit"))

    @admin.display(description=gettext_lazy("Operations"))
    def operations_read_only(self, run):
        return format_html('<a href="{}">[{}]</a>', reverse("admin:billing_billingrun_change", args=[run.pk]),
                           _("Details"))

    def get_list_display(self, request):
        if can_write(request):
            return self.list_display
        return tuple("operations_read_only" if c == "operations" else c for c in self.list_display)

    def changelist_view(self, request, extra_context=None):
        extra = {"title": BillingRun._meta.verbose_name_plural, "can_request_run": self.has_add_permission(request),
                 "add_url": reverse("admin:billing_billingrun_add"),
                 "is_nav_sidebar_enabled": False,  # the progress column and 操作 need the width at 1280 px
                 **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    # --- screens ---
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/progress/", wrap(self.progress_view), name="billing_billingrun_progress"),
            path("<path:object_id>/confirm/", wrap(self.confirm_view), name="billing_billingrun_confirm"),
            path("<path:object_id>/cancel/", wrap(self.cancel_view), name="billing_billingrun_cancel"),
            path("<path:object_id>/rename/", wrap(self.rename_view), name="billing_billingrun_rename"),
            path("<path:object_id>/retry/", wrap(self.retry_view), name="billing_billingrun_retry"),
        ] + super().get_urls()

    def _run_or_404(self, request, object_id) -> BillingRun:
        text_id = str(object_id)
        run = (self.get_queryset(request).filter(pk=int(text_id)).first()
               if text_id.isdigit() and len(text_id) < 19 else None)
        if run is None:
            raise Http404(_("Not found."))
        return run

    def _context(self, request, title, **kwargs):
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts,
                "app_label": self.opts.app_label, "can_write": can_write(request), **kwargs}

    @staticmethod
    def _progress_url(run, compact: bool) -> str:
        url = reverse("admin:billing_billingrun_progress", args=[run.pk])
        return url + ("?compact=1" if compact else "")

    def add_view(self, request, form_url="", extra_context=None):
        """[請求情報作成]: the form; from a [個人会員検索] selection it bills only the selected members."""
        society = user_society(request)
        if society is None or not can_write(request):
            raise PermissionDenied
        selection_key = request.POST.get("selection") or request.GET.get("selection") or ""
        member_ids = request.session.get(SELECTION_SESSION_KEY, {}).get(selection_key) if selection_key else None
        if request.method == "POST":
            form = BillingRunRequestForm(request.POST, society=society)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    run = run_services.billing_run_request(
                        actor=request.user, society=society, name=data["name"], category=data["category"],
                        fiscal_year=data["fiscal_year"], allocation_start=data["allocation_start"],
                        due_date=data["due_date"], exclude_member_types=list(data["exclude_member_types"]),
                        member_ids=member_ids, request_key=data["request_key"])
                except DomainError as exc:
                    report_domain_error(request, exc, form=form)
                else:
                    messages.success(request, _("The billing run was requested: %(name)s. Its progress shows on "
                                                "this page by itself.") % {"name": run.name})
                    return HttpResponseRedirect(reverse("admin:billing_billingrun_changelist"))
        else:
            today = clock.today(society)
            year = fiscal_year_of(society, today)
            form = BillingRunRequestForm(society=society, initial={
                "fiscal_year": year, "name": f"{year}年度 年会費",
                "allocation_start": f"{year:04d}-{society.fiscal_year_start_month:02d}",
                "request_key": uuid.uuid4().hex, "selection": selection_key if member_ids is not None else ""})
        return TemplateResponse(request, "admin/billing/billingrun/request_form.html", self._context(
            request, _("Create billing information"), form=form,
            selected_count=len(member_ids) if member_ids is not None else None))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The run's page: state and progress (updating itself), counts, skip reasons, and its operations."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        run = self._run_or_404(request, object_id)
        return TemplateResponse(request, "admin/billing/billingrun/detail.html", self._context(
            request, _("Billing run: %(name)s") % {"name": run.name}, original=run,
            **self._progress_context(run, compact=False)))

    def _progress_context(self, run, *, compact: bool) -> dict:
        context = {"run": run, "compact": compact, "poll_url": self._progress_url(run, compact),
                   "retry_refusal": billing_run_retry_refusal(run)}
        if not compact and run.state in (BillingRun.State.DONE, BillingRun.State.FAILED):
            skips = list(BillingRunSkip.objects.filter(run=run).select_related("member", "invoice")
                         .order_by("id")[:1000])
            context.update(skips=skips, skips_more=run.skipped_count > len(skips))
        return context

    def progress_view(self, request, object_id):
        """The 作成状況 fragment htmx polls until the run is 完了 or 失敗."""
        run = self._run_or_404(request, object_id)
        compact = request.GET.get("compact") == "1"
        return TemplateResponse(request, "admin/billing/billingrun/_progress.html",
                                self._progress_context(run, compact=compact))

    def _post_act(self, request, object_id, act, success):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_write(request):
            raise PermissionDenied
        run = self._run_or_404(request, object_id)
        try:
            result = act(run)
        except DomainError as exc:
            report_domain_error(request, exc)
        else:
            messages.success(request, success(result))
        return HttpResponseRedirect(reverse("admin:billing_billingrun_change", args=[run.pk]))

    def confirm_view(self, request, object_id):
        """[請求内容確定] of every invoice of the run (BIL-3)."""
        return self._post_act(request, object_id,
                              lambda run: invoice_services.billing_run_confirm(actor=request.user, run=run),
                              lambda n: _("Confirmed %(n)d invoices; they show on My Page.") % {"n": n})

    def cancel_view(self, request, object_id):
        """[請求取消] of the whole run, all or none (BIL-7): the confirmation page (its live invoices, or why they
        cannot be cancelled), then [確定]."""
        if request.method == "POST" and "confirm" in request.POST:
            return self._post_act(request, object_id,
                                  lambda run: invoice_services.billing_run_cancel(actor=request.user, run=run),
                                  lambda n: _("Cancelled %(n)d invoices.") % {"n": n})
        if not can_write(request):
            raise PermissionDenied
        run = self._run_or_404(request, object_id)
        live = Invoice.objects.filter(run=run, cancelled_at__isnull=True)
        return cancel_confirmation(self, request, live, run=run,
                                   back_url=reverse("admin:billing_billingrun_change", args=[run.pk]))

    def retry_view(self, request, object_id):
        return self._post_act(request, object_id,
                              lambda run: run_services.billing_run_retry(actor=request.user, run=run),
                              lambda run: _("The billing run was requested again."))

    def rename_view(self, request, object_id):
        """[編集]: rename the run and every one of its invoices, paid ones included (BIL-6)."""
        return self._post_act(request, object_id,
                              lambda run: invoice_services.billing_run_rename(
                                  actor=request.user, run=run, name=request.POST.get("name", "")),
                              lambda run: _("Renamed the run and its invoices: %(name)s") % {"name": run.name})

    def has_add_permission(self, request):
        return user_society(request) is not None and can_write(request)

    def has_change_permission(self, request, obj=None):
        return False  # the run's page is read-only; its acts are POSTs of their own

    def get_model_perms(self, request):
        return {"add": self.has_add_permission(request), "change": False, "delete": False,
                "view": self.has_view_permission(request)}


# --- [個人会員検索] › select › 操作 「請求情報作成」 -------------------------------------------------------------


@admin.action(description=gettext_lazy("Create billing information for the selected members"))
def bill_selected_members(model_admin, request, queryset):
    """Opens [請求情報作成] for the selected members (their ids are kept in the session, not in the URL)."""
    if not can_write(request) or user_society(request) is None:
        raise PermissionDenied
    ids = list(queryset.values_list("pk", flat=True)[:SELECTION_LIMIT])
    key = uuid.uuid4().hex
    selections = request.session.get(SELECTION_SESSION_KEY, {})
    selections = dict(list(selections.items())[-4:])  # a few recent selections, not an ever-growing session
    selections[key] = ids
    request.session[SELECTION_SESSION_KEY] = selections
    return HttpResponseRedirect(reverse("admin:billing_billingrun_add") + f"?selection={key}")


register_member_action(bill_selected_members,
                       allowed=lambda request: can_write(request) and user_society(request) is not None)
