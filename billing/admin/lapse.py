"""Billing screens: lapse — 会員資格喪失候補 (MEM-9).

The list of members whose unpaid fiscal years reach the society's threshold, each with those years, and one
dated bulk withdrawal (退会) of the selected ones through [会員状況の一括更新]. Nothing changes on its own."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import clock
from backoffice.adminkit import SocietyScopedAdmin, can_write, report_domain_error, user_society
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormDateField
from members import selectors as member_selectors

from .. import selectors
from ..models import LapseCandidate
from ..services.lapse import lapse_withdraw

PER_PAGE = 200


class LapseWithdrawForm(forms.Form):
    effective_date = HalfWidthFormDateField(label=gettext_lazy("Withdrawal date"))
    member_ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=gettext_lazy("Members"),
                                                error_messages={"required": gettext_lazy("Select at least one member.")})

    def __init__(self, *args, candidate_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member_ids"].choices = [(i, str(i)) for i in candidate_ids]


@admin.register(LapseCandidate)
class LapseCandidateAdmin(SocietyScopedAdmin):
    """会員資格喪失候補: a screen of its own (its list is a selector, not a model's changelist)."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) and user_society(request) is not None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("", self.admin_site.admin_view(self.lapse_view), name="%s_%s_changelist" % info)]

    def lapse_view(self, request):
        society = user_society(request)
        if society is None:
            raise PermissionDenied
        today = clock.today(society)
        candidates = selectors.lapse_candidates(society, today)
        paginator = Paginator(candidates, PER_PAGE)
        page = paginator.get_page(request.GET.get("p"))
        members = selectors.with_unpaid_years(society, page.object_list, today)
        ids = [m.pk for m in members]
        form = LapseWithdrawForm(candidate_ids=ids, initial={"effective_date": today})
        if request.method == "POST":
            if not can_write(request):
                raise PermissionDenied
            posted_ids = [v for v in request.POST.getlist("member_ids") if v.isascii() and v.isdigit()]
            form = LapseWithdrawForm(request.POST, candidate_ids=sorted({*ids, *map(int, posted_ids)}))
            if form.is_valid():
                try:
                    n = lapse_withdraw(actor=request.user, society=society, member_ids=form.cleaned_data["member_ids"],
                                       effective_date=form.cleaned_data["effective_date"])
                except DomainError as exc:
                    report_domain_error(request, exc, form=form)
                else:
                    messages.success(request, _("Withdrew %(n)d members (退会) as of %(date)s.")
                                     % {"n": n, "date": form.cleaned_data["effective_date"].isoformat()})
                    return HttpResponseRedirect(request.get_full_path())
        earliest = member_selectors.earliest_bulk_status_date(member_selectors.latest_status_entries(ids)) if ids else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Lapse candidates"), "opts": self.opts, "app_label": self.opts.app_label,
            "members": members, "page": page, "form": form, "today": today, "earliest": earliest,
            "threshold": society.lapse_threshold_years, "current_year": selectors.fiscal_year_of(society, today),
            "can_write": can_write(request),
        }
        return TemplateResponse(request, "admin/billing/lapse.html", context)
