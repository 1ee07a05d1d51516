"""[個人会員送信済みメール] (MAIL-1) and the mail templates (administrators)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import clock, panels
from backoffice.adminkit import (
    AuditDateRangeFilter,
    ServiceAdmin,
    SocietyScopedAdmin,
    can_write,
    may,
    report_domain_error,
    user_society,
)
from backoffice.errors import DomainError

from . import links, rendering, selectors, services
from .models import LinkState, MailKind, MailTemplate, SentMail


def link_state_label(state, expires_at, tz) -> str:
    if state == LinkState.VALID:
        return _("Valid until %(at)s") % {"at": expires_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")}
    if state in LinkState.values:
        return str(LinkState(state).label)
    return "—"


class SentDateFilter(AuditDateRangeFilter):
    """期間 over the mail's date, in the society's time zone."""

    def queryset(self, request, queryset):
        tz = clock.society_timezone(user_society(request))
        start, end = self.dates.get("at_from"), self.dates.get("at_to")
        if start is not None:
            queryset = queryset.filter(created_at__gte=datetime.datetime.combine(start, datetime.time(), tz))
        if end is not None:
            queryset = queryset.filter(
                created_at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(), tz))
        return queryset


class MemberIdFilter(admin.SimpleListFilter):
    """One member's mail (``?member_id=``), reached from the member's screens; shown only while it filters."""

    title = gettext_lazy("member ID")
    parameter_name = "member_id"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(member_id=int(value)) if value.isdigit() and len(value) < 19 else queryset.none()


#: Links other apps add to a sent mail's page (the support console's [サポート案件]): ``provider(request, mail) ->
#: [(label, url, id)]`` — mail knows none of them (DESIGN.md: a higher app registers).
SENT_MAIL_LINKS: list = []


def register_sent_mail_links(provider) -> None:
    if provider not in SENT_MAIL_LINKS:
        SENT_MAIL_LINKS.append(provider)


@admin.register(SentMail)
class SentMailAdmin(SocietyScopedAdmin):
    list_display = ("sent_at_col", "kind", "to", "subject", "status", "link_col")
    list_display_links = ("subject",)
    list_filter = ("kind", SentDateFilter, MemberIdFilter)
    search_fields = ("to",)  # shows the box; the search itself is selectors.search_sent_mails
    ordering = ("-created_at", "-id")
    change_form_template = "admin/mail/sentmail/detail.html"

    def _tz(self, request):
        return clock.society_timezone(user_society(request))

    def get_queryset(self, request):
        self._request_tz = self._tz(request)
        self._request_now = clock.now(user_society(request))
        return super().get_queryset(request).with_link()

    def get_search_results(self, request, queryset, search_term):
        return selectors.search_sent_mails(queryset, search_term), False

    def changelist_view(self, request, extra_context=None):
        # The manual's screen name [個人会員送信済みメール], not Django's 「表示する送信済みメールを選択」.
        context = {"title": self.model._meta.verbose_name_plural,
                   "is_nav_sidebar_enabled": False,  # 種別 and 件名 need the width at 1280 px (issue 12)
                   # support's triage of an address no member has (SUP-8), searched as ?q=
                   "other_app_panels": panels.render("sent_mail_search", request, request.GET.get("q", "").strip()),
                   **(extra_context or {})}
        return super().changelist_view(request, context)

    @admin.display(description=gettext_lazy("Sent at"), ordering="created_at")
    def sent_at_col(self, obj):
        return (obj.sent_at or obj.created_at).astimezone(self._request_tz).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=gettext_lazy("Link state"))
    def link_col(self, obj):
        state = obj.link_state_at(self._request_now)
        return link_state_label(state, obj.link.expires_at if state else None, self._request_tz)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [path("<path:object_id>/open-link/", self.admin_site.admin_view(self.open_link_view),
                     name="%s_%s_open_link" % info)] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mail = self.get_object(request, object_id)
        if mail is None:
            raise Http404(_("Not found."))
        return self._detail(request, mail)

    def _detail(self, request, mail, link_form=None):
        """The mail's page; ``link_form`` is the bound form of a refused [リンクを開く(会員の代わりに)]."""
        tz = self._tz(request)
        state = mail.link_state_at(clock.now(user_society(request)))
        link = mail.link if state else None
        context = {
            **self.admin_site.each_context(request),
            "title": str(mail.subject),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": mail,
            "mail": mail,
            "sent_at": (mail.sent_at or mail.created_at).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            "link": link,
            "link_label": link_state_label(state, link.expires_at if link else None, tz),
            "may_open_link": link is not None and can_write(request),  # a refusal is shown as a message
            # the form the link asks for (the application form, …), registered by the purpose's owner
            "link_form": link_form if link_form is not None else (
                links.link_form(link.purpose, mail.society) if link is not None else None),
            "has_view_permission": True,
            "other_app_links": [link for provider in SENT_MAIL_LINKS for link in provider(request, mail)],
        }
        return TemplateResponse(request, self.change_form_template, context)

    def open_link_view(self, request, object_id):
        """[リンクを開く(会員の代わりに)]: follow the link with the operator as actor."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_write(request):
            raise PermissionDenied
        mail = self.get_object(request, object_id)
        if mail is None or not hasattr(mail, "link"):
            raise Http404(_("Not found."))
        data = {k: v for k, v in request.POST.dict().items() if k != "csrfmiddlewaretoken"}
        try:
            services.link_follow(actor=request.user, token=mail.link.token, data=data)
        except DomainError as exc:
            form = links.link_form(mail.link.purpose, mail.society, data=request.POST)
            if form is None:
                report_domain_error(request, exc)
            else:  # the typed values stay, with the refusal on its field
                form.is_valid()
                report_domain_error(request, exc, form=form)
                return self._detail(request, self.get_object(request, object_id), link_form=form)
        else:
            messages.success(request, _("The link was opened on the member's behalf."))
        return HttpResponseRedirect(reverse("admin:mail_sentmail_change", args=[mail.pk]))


class MailTemplateForm(forms.ModelForm):
    class Meta:
        model = MailTemplate
        fields = ("kind", "subject", "body")


@admin.register(MailTemplate)
class MailTemplateAdmin(ServiceAdmin):
    form = MailTemplateForm
    list_display = ("kind", "subject")

    def has_module_permission(self, request):
        return user_society(request) is not None and may(request, "can_manage_settings")

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj is not None else ()

    def get_changeform_initial_data(self, request):
        kind = request.GET.get("kind")
        if kind in MailKind.values:
            subject, body = rendering.default_template(kind)
            return {"kind": kind, "subject": subject, "body": body}
        return super().get_changeform_initial_data(request)

    def save_with_service(self, request, form, obj):
        data = form.cleaned_data
        kind = obj.kind if obj is not None else data["kind"]
        return services.mail_template_update(actor=request.user, society=user_society(request), kind=kind,
                                             subject=data["subject"], body=data["body"])
