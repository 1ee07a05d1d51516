"""The sign-in pages (SOC-4, SOC-6): a society's own operator page ``/office/<slug>/login/`` and the general page
``/login/`` (also ``/admin/login/``) of the contract holder and the platform. Both diagnose and log every attempt
through ``members.services.operator_sign_in``; the forms only parse."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from .forms import OperatorLoginForm, SocietyLoginForm
from .models import Society


class _LoginView(auth_views.LoginView):
    template_name = "admin/members/login.html"
    redirect_authenticated_user = False  # SOC-6: a second sign-in in this browser is allowed, and ends the first

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(self.request))
        context.setdefault("title", _("Log in"))
        context["app_path"] = self.request.get_full_path()
        return context

    def get_success_url(self):
        return self.get_redirect_url() or "/admin/"

    def form_valid(self, form):
        previous = self.request.user if self.request.user.is_authenticated else None
        response = super().form_valid(form)  # login(): a different account flushes the session (SOC-6)
        if previous is not None and previous.pk != form.get_user().pk:
            messages.warning(self.request, _("The sign-in of %(account)s in this browser has been ended: one "
                                             "browser holds one signed-in account.") % {"account": previous.email})
        return response


class GeneralLoginView(_LoginView):
    authentication_form = OperatorLoginForm


class SocietyLoginView(_LoginView):
    authentication_form = SocietyLoginForm

    def dispatch(self, request, *args, **kwargs):
        self.society = get_object_or_404(Society, slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "page_society": self.society}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_society"] = self.society
        context["title"] = _("Operator sign-in: %(society)s") % {"society": self.society.name}
        return context


general_login_view = GeneralLoginView.as_view()
society_login_view = SocietyLoginView.as_view()
