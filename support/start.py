"""Start a case from a screen (SUP-8's triage panel, シナリオ一覧): POST ``member`` (or ``email``) and ``flow`` →
``services.case_create`` → the case page. A refusal goes back where the agent came from with its message."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.adminkit import user_society
from backoffice.errors import DomainError
from members import selectors as member_selectors

from . import services


def case_page_url(case_id: int) -> str:
    try:
        return reverse("admin:support_case_change", args=[case_id])
    except NoReverseMatch:  # the console's case page (its own slice) answers this address
        return f"/admin/support/case/{case_id}/"


def _back(request) -> HttpResponseRedirect:
    referer = request.META.get("HTTP_REFERER", "")
    safe = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    return HttpResponseRedirect(referer if safe and referer else reverse("admin:index"))


@require_POST
def case_start_view(request):
    society = user_society(request)
    if society is None:
        messages.error(request, _("Use an operator account of a society."))
        return _back(request)
    raw = (request.POST.get("member") or request.GET.get("member") or "").strip()
    member = None
    if raw:
        member = (member_selectors.visible_members(request.user).filter(pk=int(raw)).first()
                  if raw.isdigit() and len(raw) < 19 else None)
        if member is None:
            messages.error(request, services.MSG_UNKNOWN_MEMBER)
            return _back(request)
    flow = request.POST.get("flow") or request.GET.get("flow") or ""
    email = request.POST.get("email") or request.GET.get("email") or ""
    try:
        case = services.case_create(actor=request.user, society=society, flow=flow, member=member, email=email)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request)
    return HttpResponseRedirect(case_page_url(case.pk))


case_start_view = admin.site.admin_view(case_start_view)
