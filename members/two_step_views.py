"""[2段階認証] (SEC-6): an operator registers an authenticator app for their own account — a QR code, then one code
to confirm it, then ten recovery codes shown once — or turns it off. Every write is a service of
members/services/two_step.py."""

from __future__ import annotations

import segno
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.errors import DomainError

from . import services
from .models import Operator


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, title=_("QR code for the authenticator app"))


def two_step_view(request):
    operator = Operator.objects.select_related("society").get(pk=request.user.pk)  # the account itself, not the lazy user
    context = {**admin.site.each_context(request), "title": _("Two-step sign-in"),
               "on": services.two_step_on(operator), "required": services.two_step_required(operator)}
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "start":
            device = services.two_step_enrol_start(actor=operator, operator=operator)
            context.update(pending=True, qr=mark_safe(_qr_svg(device.config_url)), key=device.key)
        elif action == "confirm":
            codes = services.two_step_enrol_confirm(actor=operator, operator=operator, otp=request.POST.get("otp", ""))
            context.update(on=True, codes=codes)
            messages.success(request, _("Two-step sign-in is on. Keep the recovery codes in a safe place."))
        elif action == "disable":
            services.two_step_disable(actor=operator, operator=operator)
            messages.success(request, _("Two-step sign-in is off."))
            return HttpResponseRedirect(reverse("two-step"))
    except DomainError as error:
        context["error"] = error.message
        pending = TOTPDevice.objects.filter(user=operator, confirmed=False).first()
        if action == "confirm" and pending is not None:  # the same QR code again: the app already holds it
            context.update(pending=True, qr=mark_safe(_qr_svg(pending.config_url)), key=pending.key)
    return TemplateResponse(request, "admin/members/two_step.html", context)
