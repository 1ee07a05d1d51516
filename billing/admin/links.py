"""Billing's screens joined to the rest (issue 7): the shortcuts of the first page (事務局メニュー) in the order of
seed 003 (請求に関すること, then 入金に関すること) and the links a member's [会員情報変更] offers to that member's
invoices, payments, download and split payment form. members/ knows no invoices, so billing registers both here
(``register()``, called by ``billing.admin`` once its screens are registered)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from members.admin import register_member_page_links
from members.templatetags.secretariat_home import Shortcut, register_shortcuts

from ..models import BankStatement, BillingRun, Invoice, LapseCandidate, Payment


#: Links of other apps on an invoice's page and on a payment's row of [入金履歴] (support's guided procedures):
#: each provider is ``provider(request, obj) -> [(label, url, element id), …]`` — billing knows no support.
INVOICE_PAGE_LINKS: list = []
PAYMENT_LINKS: list = []


def register_invoice_page_links(provider) -> None:
    if provider not in INVOICE_PAGE_LINKS:
        INVOICE_PAGE_LINKS.append(provider)


def register_payment_links(provider) -> None:
    if provider not in PAYMENT_LINKS:
        PAYMENT_LINKS.append(provider)


#: Actions other apps add to [個人会員請求検索]'s selection (support's 「複数年度をまとめた請求作成」): each
#: ``(name, action(modeladmin, request, queryset), description, allowed(request) -> bool)``.
INVOICE_SELECTION_ACTIONS: list = []


def register_invoice_selection_action(name: str, action, description, allowed) -> None:
    if all(entry[0] != name for entry in INVOICE_SELECTION_ACTIONS):
        INVOICE_SELECTION_ACTIONS.append((name, action, description, allowed))


def other_app_links(providers: list, request, obj) -> list[tuple[str, str, str]]:
    return [link for provider in providers for link in provider(request, obj)]


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def billing_shortcuts(operator) -> list[Shortcut]:
    """[請求情報作成] (roles that write, in a society), [請求情報作成履歴], [個人会員請求検索], [入金消込], [入金履歴],
    会員資格喪失候補 (in a society)."""
    items = []
    in_society = operator.society_id is not None
    if in_society and operator.can_write:
        items.append(Shortcut(_("Create billing information"), reverse("admin:billing_billingrun_add"),
                              _("Bill the members of a category and fiscal year; runs in the background."),
                              "billing-run-add"))
    items += [
        Shortcut(capfirst(BillingRun._meta.verbose_name_plural), _changelist(BillingRun),
                 _("Every billing run with its progress; confirm, rename or cancel a run."), "billing-runs"),
        Shortcut(capfirst(Invoice._meta.verbose_name_plural), _changelist(Invoice),
                 _("Search invoices by name, status, category, fiscal year; register payments, send reminders."),
                 "invoices"),
        Shortcut(capfirst(BankStatement._meta.verbose_name_plural), _changelist(BankStatement),
                 _("Import a bank statement and match its rows to invoices."), "bank-statements"),
        Shortcut(capfirst(Payment._meta.verbose_name_plural), _changelist(Payment),
                 _("Payments with receipt numbers; deleted ones stay struck through."), "payments"),
    ]
    if in_society:
        items.append(Shortcut(capfirst(LapseCandidate._meta.verbose_name_plural), _changelist(LapseCandidate),
                              _("Members with unpaid fiscal years; withdraw them on a date."), "lapse"))
    return items


def member_billing_links(request, member) -> list[tuple[str, str, str]]:
    """The member's invoices ([個人会員請求検索] filtered by member), [入金履歴], [会員別請求・入金情報ダウンロード];
    the split payment form only for roles that write."""
    query = "?" + urlencode({"member": member.pk})
    links = [
        (_("Invoices of this member"), _changelist(Invoice) + query, "member-invoices-link"),
        (_("Payment history"), _changelist(Payment) + query, "member-payments-link"),
        (_("Download billing and payment information per member"),
         reverse("billing-member-csv", kwargs={"pk": member.pk}), "member-billing-csv-link"),
    ]
    if request.user.can_write:
        links.append((_("Register payment information over several years"),
                      reverse("admin:billing_payment_split", args=[member.pk]), "member-split-link"))
    return links


def register() -> None:
    register_shortcuts(billing_shortcuts)
    register_member_page_links(member_billing_links)
