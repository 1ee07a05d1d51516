"""「パスワードをお忘れですか?」 (seed 001 原因④) on a society's operator sign-in page: the request page
``/office/<slug>/password-reset/`` (an e-mail address) and the page the mail's link opens,
``/office/<slug>/password-reset/<token>/`` (a new password twice). Every write is a service of
members/services/operator_password.py; the forms only parse. Bad input answers 4xx with the form or the refusal."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from backoffice.errors import DomainError
from backoffice.http import client_address

from . import services
from .forms import GeneralPasswordResetRequestForm, OperatorNewPasswordForm, OperatorPasswordResetRequestForm
from .models import Society
from .services.operator_password import MSG_REQUEST_TAKEN, MSG_RESET_DONE, reset_link_url_template
from .services.signin import society_login_path

TEMPLATE = "admin/members/password_reset.html"


def _render(request, society: Society | None, status: int = 200, **context):
    """``society`` None: the general page's request (the contract holder's, ``/login/password-reset/``)."""
    context = {**admin.site.each_context(request), "page_society": society,
               "login_url": society_login_path(society) if society else reverse("login"),
               "title": _("Setting a new password"), **context}
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _form_errors(form, error: DomainError) -> None:
    """A service's refusal shown on the form: on its fields where it names them, else above the form."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        if field in form.fields:
            for message in field_messages or [str(error.message)]:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


@never_cache
def password_reset_request_view(request, slug: str):
    society = get_object_or_404(Society, slug=slug)
    if request.method != "POST":
        return _render(request, society, form=OperatorPasswordResetRequestForm(), stage="request")
    form = OperatorPasswordResetRequestForm(request.POST)
    if not form.is_valid():
        return _render(request, society, 400, form=form, stage="request")
    return _request_reset(request, society, form, page=society)


@never_cache
def general_password_reset_request_view(request):
    """The general page's 「パスワードをお忘れですか?」: the 学会ID and the e-mail. An unknown 学会ID is answered as any
    request is (the page tells nobody which societies or accounts exist); the mail's link opens the society's own
    reset page."""
    if request.method != "POST":
        return _render(request, None, form=GeneralPasswordResetRequestForm(), stage="request")
    form = GeneralPasswordResetRequestForm(request.POST)
    if not form.is_valid():
        return _render(request, None, 400, form=form, stage="request")
    society = Society.objects.filter(slug=form.cleaned_data["society"]).first()
    if society is None:
        return _render(request, None, stage="requested", message=MSG_REQUEST_TAKEN)
    return _request_reset(request, society, form, page=None)


def _request_reset(request, society: Society, form, *, page: Society | None):
    try:
        result = services.operator_password_reset_request(
            actor="system: operator password reset page", society=society, email=form.cleaned_data["email"],
            client_address=client_address(request), link_url_template=reset_link_url_template(society, request))
    except DomainError as error:
        _form_errors(form, error)
        return _render(request, page, error.status, form=form, stage="request")
    if result.rate_limited:
        return _render(request, page, 429, form=form, stage="request", error=result.message)
    return _render(request, page, stage="requested", message=result.message)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def password_reset_confirm_view(request, slug: str, token: str):
    society = get_object_or_404(Society, slug=slug)
    link = services.operator_password_reset_link(society, token)
    refusal = services.operator_password_reset_refusal(society, link)
    if refusal is not None:
        return _render(request, society, refusal.status, stage="refused", error=refusal.message)
    operator = services.operator_of_reset_link(link)
    if request.method != "POST":
        return _render(request, society, form=OperatorNewPasswordForm(), stage="confirm", operator=operator)
    form = OperatorNewPasswordForm(request.POST)
    if not form.is_valid():
        return _render(request, society, 400, form=form, stage="confirm", operator=operator)
    try:
        services.operator_password_reset(actor=operator, society=society, token=token,
                                         new_password1=form.cleaned_data["new_password1"],
                                         new_password2=form.cleaned_data["new_password2"])
    except DomainError as error:
        if error.fields:
            _form_errors(form, error)
            return _render(request, society, error.status, form=form, stage="confirm", operator=operator)
        return _render(request, society, error.status, stage="refused", error=error.message)
    messages.success(request, MSG_RESET_DONE)
    return HttpResponseRedirect(society_login_path(society))
