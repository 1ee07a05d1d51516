"""The support console joined to the rest of the 事務局画面 (issue 13 point 7): 「サポート案件」 and 「サポート案件の開始」 on
the first page (事務局メニュー) and in the side menu, and [サポート案件] on a member's page and a sent mail's page —
registered here, since no lower app knows support (DESIGN.md)."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.admin.links import (register_invoice_page_links, register_invoice_selection_action,
                                 register_payment_links)
from mail.admin import register_sent_mail_links
from members.admin import register_member_page_links
from members.templatetags.secretariat_home import Shortcut, register_shortcuts

from .registry import screen


def start_url(**caller) -> str:
    """「サポート案件の開始」 for a caller: ``member=``, ``email=`` or ``mail=`` (a sent mail's recipient)."""
    return f"{reverse('support-page-start')}?{urlencode(caller)}" if caller else reverse("support-page-start")


def support_shortcuts(operator) -> list[Shortcut]:
    """Every role of a society reads cases (a viewer without buttons); the platform's help desk starts the cases of
    operators who cannot sign in (seed 001, 原因⑥ included)."""
    if operator.society_id is None:
        if not getattr(operator, "sees_all_societies", False):
            return []
        return [Shortcut(_("Operators who cannot sign in"), reverse("support-page-start"),
                         _("Start a support case (seed 001) for an operator of the society you choose, cancelled or "
                           "suspended ones included."), "support-platform-start")]
    return [Shortcut(_("Support cases"), reverse("support-page-cases"),
                     _("Start a support case for a caller, run the manual's flow on the live record, resume an "
                       "open case."), "support-cases"),
            Shortcut(_("Support statistics"), reverse("support-page-stats"),
                     _("Per flow, version and period: how often each outcome happens, where cases stop and how long "
                       "each question takes."), "support-stats")]


def _in_a_society(request) -> bool:
    """The support console works in the operator's society: a platform superuser (none) is offered no link to it."""
    return getattr(request.user, "society_id", None) is not None


def member_support_links(request, member) -> list[tuple[str, str, str]]:
    if not _in_a_society(request):
        return []
    links = [(_("Support cases of this member"), f"{reverse('support-page-cases')}?{urlencode({'member': member.pk})}",
              "member-support-cases-link")]
    if request.user.can_use_support:
        links.insert(0, (_("Support case"), start_url(member=member.pk), "member-support-start-link"))
    return links


def sent_mail_support_links(request, mail) -> list[tuple[str, str, str]]:
    if not request.user.can_use_support or not _in_a_society(request):
        return []
    return [(_("Support case"), start_url(mail=mail.pk), "mail-support-start-link")]


def procedure_url(procedure_id: str, **subject) -> str:
    return f"{reverse('support-page-procedure', args=[procedure_id])}?{urlencode(subject, doseq=True)}"


def _procedure_links(subject: str):
    """「ガイド付き手順: <title>」 for each procedure that fits the invoice or payment (its own plan decides)."""
    def links(request, obj) -> list[tuple[str, str, str]]:
        if not request.user.can_use_support or not _in_a_society(request):
            return []
        from .procedures import procedure_offer_links

        return [(_("Guided procedure: %(title)s") % {"title": p.title}, procedure_url(p.id, **query),
                 f"{subject}-{obj.pk}-procedure-{p.id}") for p, query in procedure_offer_links(subject, obj)]
    return links


def combine_selected_invoices(modeladmin, request, queryset):
    """[個人会員請求検索] › select › 「複数年度をまとめた請求作成」: the combine_invoices procedure page with the
    selected invoices (oldest fiscal year first) prefilled and previewed; the procedure itself refuses a selection
    of several members, paid or cancelled invoices, or too many, with its message."""
    from .procedures.billing import MAX_INVOICES

    ids = list(queryset.order_by("fiscal_year", "number", "pk").values_list("pk", flat=True)[:MAX_INVOICES + 1])
    return HttpResponseRedirect(procedure_url("combine_invoices", invoices=",".join(str(pk) for pk in ids),
                                              preview="1"))


invoice_procedure_links = _procedure_links("invoice")
payment_procedure_links = _procedure_links("payment")


# --- the screens an outcome's ``links`` name (SUP-2: 「[個人会員送信済みメール]画面で…」), for the case's caller ------


def _member_admin(member) -> str:
    return "corporatemember" if member is not None and member.kind == "corporate" else "member"


def _searched(url_name: str, q: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'q': q})}" if q else reverse(url_name)


@screen("member_search")
def member_search_url(ctx) -> str:
    """[個人会員検索] (or [法人会員検索] for a corporate member), searched by the caller's e-mail address."""
    return _searched(f"admin:members_{_member_admin(ctx.member)}_changelist", ctx.address)


@screen("corporate_search")
def corporate_search_url(ctx) -> str:
    return _searched("admin:members_corporatemember_changelist", ctx.address)


@screen("sent_mails")
def sent_mails_url(ctx) -> str:
    """[個人会員送信済みメール], searched by the caller's address (free word, MAIL-1)."""
    return _searched("admin:mail_sentmail_changelist", ctx.address)


@screen("member_change")
def member_change_url(ctx) -> str:
    """[会員情報変更] of the caller's record, else the member search by their address."""
    if ctx.member is None:
        return member_search_url(ctx)
    return reverse(f"admin:members_{_member_admin(ctx.member)}_change", args=[ctx.member.pk])


@screen("member_status")
def member_status_url(ctx) -> str:
    """[会員状況変更] (its history [会員状況履歴] and [会員状況変更・変更予定登録]) of the caller's record."""
    if ctx.member is None:
        return member_search_url(ctx)
    return reverse(f"admin:members_{_member_admin(ctx.member)}_status", args=[ctx.member.pk])


@screen("member_numbers")
def member_numbers_url(ctx) -> str:
    return reverse("admin:members_member_numbers")


@screen("proxy_application")
def proxy_application_url(ctx) -> str:
    return reverse("admin:members_member_proxy_application")


@screen("mypage_notices")
def mypage_notices_url(ctx) -> str:
    return reverse("admin:simulator_mypagenotice_changelist")


def register() -> None:
    register_invoice_page_links(invoice_procedure_links)
    register_payment_links(payment_procedure_links)
    register_invoice_selection_action("combine_invoices", combine_selected_invoices,
                                      gettext_lazy("Create one invoice combining several fiscal years"),
                                      lambda request: request.user.can_use_support and _in_a_society(request))
    register_shortcuts(support_shortcuts)
    register_member_page_links(member_support_links)
    register_sent_mail_links(sent_mail_support_links)
