"""The sandbox's clock control on the secretariat's first page (SIM-1): "+1 hour", "+24 hours", "+1 month", a date."""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice import clock
from backoffice.adminkit import report_domain_error
from backoffice.errors import DomainError
from backoffice.fields import HalfWidthFormDateField
from mail import links
from members import services

from .clock import add_months, start_of_day

MOVES = {
    "hour": lambda society, now: now + datetime.timedelta(hours=1),
    "day": lambda society, now: now + datetime.timedelta(hours=24),
    "month": lambda society, now: add_months(now, 1),
}


def _target(society, request) -> datetime.datetime:
    move = request.POST.get("move")
    now = clock.now(society)
    if move in MOVES:
        return MOVES[move](society, now)
    if move == "date":
        field = HalfWidthFormDateField(required=True)
        try:
            day = field.clean(request.POST.get("date", ""))
        except ValidationError as exc:
            raise DomainError("invalid", " ".join(exc.messages)) from None
        return start_of_day(society, day)
    raise DomainError("invalid", _("Choose how to move the clock."))


@require_POST
def clock_move(request):
    society = getattr(request.user, "society", None)
    try:
        if society is None:
            raise DomainError("not_sandbox", _("The simulation exists only in a training sandbox society."), status=403)
        society = services.society_clock_move(actor=request.user, society=society, to=_target(society, request))
    except DomainError as exc:
        report_domain_error(request, exc)
    else:
        messages.success(request, _("The simulation clock now reads %(now)s.")
                         % {"now": clock.now(society).strftime("%Y-%m-%d %H:%M")})
    return HttpResponseRedirect(reverse("admin:index"))


clock_move_view = admin.site.admin_view(clock_move)


# ---------------------------------------------------------------------------------------------------
# SIM-3: the scenario list (シナリオ一覧) and [シナリオ再作成]
# ---------------------------------------------------------------------------------------------------


def _scenario_context(request, title):
    from django.contrib.admin import site

    return {**site.each_context(request), "title": title, "society": request.user.society}


def scenario_list(request):
    """Each scenario member of the operator's society with what it demonstrates and a link to its record."""
    from django.http import Http404
    from django.template.response import TemplateResponse

    from . import operator_scenarios, scenarios

    society = getattr(request.user, "society", None)
    if society is None:
        raise Http404
    return TemplateResponse(request, "simulator/scenario_list.html", {
        **_scenario_context(request, _("Scenario list")), "rows": scenarios.scenario_list(society),
        "operator_rows": operator_scenarios.rows(society),
        "can_reset": scenarios.scenarios_reset_refusal(request.user, society) is None})


def scenario_reset(request):
    """[シナリオ再作成]: GET asks for confirmation, POST rebuilds the sandbox's scenario members. Outside a sandbox and
    for staff and viewers both answer the refusal on the first page: the confirmation offers no button they
    could not use."""
    from django.template.response import TemplateResponse

    from . import scenarios

    society = getattr(request.user, "society", None)
    refusal = scenarios.scenarios_reset_refusal(request.user, society)
    if refusal is not None:
        report_domain_error(request, refusal)
        return HttpResponseRedirect(reverse("admin:index"))
    if request.method != "POST":
        return TemplateResponse(request, "simulator/scenario_reset.html", {
            **_scenario_context(request, _("Reset scenarios")), "count": scenarios.scenario_count(society)})
    try:
        rows = scenarios.scenarios_reset(actor=request.user, society=society,
                                         link_url_template=links.link_url_template(request))
    except DomainError as exc:
        report_domain_error(request, exc)
        return HttpResponseRedirect(reverse("admin:index"))
    messages.success(request, _("The scenarios were rebuilt: %(count)d scenario members.") % {"count": sum(1 for r in rows if not r.alias)})
    return HttpResponseRedirect(reverse("sim-scenarios"))


scenario_list_view = admin.site.admin_view(scenario_list)
scenario_reset_view = admin.site.admin_view(scenario_reset)
