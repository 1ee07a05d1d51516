"""Triage (SUP-8, API.md triage codes): the problems a member's record already shows, each naming the flow that
handles it (``None`` while that flow is not shipped: seed 003's entries come with their own issue). Every check
is registered, so a later flow adds its codes without touching the engine or this list's callers."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from billing import selectors as billing_selectors
from billing.models import Invoice, InvoiceStatus
from mail.models import LinkState, LinkToken, MailKind, SentMail
from members import purposes
from members.models import MyPageSignIn

from . import facts
from .context import CaseContext
from .registry import TRIAGE, triage

LOGIN = "login-trouble"


def _item(code: str, flow: str | None, text: str, evidence: str = "") -> dict:
    return {"code": code, "flow": flow, "text": text, "evidence": evidence}


def _full_width(typed: str) -> bool:
    return unicodedata.normalize("NFKC", typed) != typed


@triage
def _sign_ins(ctx: CaseContext) -> list[dict]:
    """seed 004 【1】 and APS-3 from the sign-in log of the last 7 days."""
    attempts = facts.recent_sign_ins(ctx)
    reasons = MyPageSignIn.Reason
    groups = [
        ("sign_in_width_or_case", {reasons.ID_WIDTH_OR_CASE}, _("%(when)s, %(count)s sign-ins with the ID typed in full width or another letter case")),
        ("sign_in_password_typo", {reasons.PASSWORD_CAPS_LOCK, reasons.PASSWORD_WIDTH}, _("%(when)s, %(count)s sign-ins with the password typed with Caps Lock or in full width")),
        ("not_eligible_sign_in", {reasons.NOT_ELIGIBLE}, _("%(when)s, %(count)s sign-ins refused: no eligible membership for linking")),
    ]
    items = []
    for code, wanted, text in groups:
        found = [a for a in attempts if a.reason in wanted]
        if found:
            if code == "sign_in_width_or_case" and all(_full_width(a.typed_id) for a in found):
                text = _("%(when)s, %(count)s sign-ins with the ID typed in full width")
            today = all(facts.local_date(ctx, a.at) == ctx.today for a in found)
            when = _("Today") if today else _("In the last 7 days")
            items.append(_item(code, LOGIN, text % {"when": when, "count": len(found)},
                               _("latest %(at)s, typed ID %(typed)s") % {"at": facts._local(ctx, found[0].at),
                                                                         "typed": found[0].typed_id}))
    return items


@triage
def _apass(ctx: CaseContext) -> list[dict]:
    items = []
    if ctx.member is not None and ctx.member.apass_id is not None and not ctx.member.apass.recovery_contact:
        items.append(_item("no_recovery_contact", LOGIN, _("No password-reset contact registered"),
                           facts.apass_linked(ctx).evidence))
    mail = facts.latest_reset_mail(ctx)
    if mail is not None and mail.created_at > ctx.now - facts.RECENT:
        items.append(_item("reset_mail_recent", LOGIN, _("A password-reset mail was sent recently"),
                           facts.password_reset_mail(ctx).evidence))
    return items


@triage
def _mail_links(ctx: CaseContext) -> list[dict]:
    if not ctx.address:
        return []
    items = []
    verification = (SentMail.objects.filter(society=ctx.society, kind=MailKind.EMAIL_VERIFICATION, to=ctx.address)
                    .with_link().order_by("-created_at", "-id").first())
    if verification is not None and verification.link_state_at(ctx.now) == LinkState.EXPIRED:
        days = (ctx.today - facts.local_date(ctx, verification.link.expires_at)).days
        text = (_("The e-mail verification link expired today") if days <= 0 else
                _("The e-mail verification link expired %(days)s days ago") % {"days": days})
        items.append(_item("verification_link_expired", "faq-verification-link-error", text,
                           _("sent %(at)s, expired %(until)s") % {
                               "at": facts._local(ctx, verification.created_at),
                               "until": facts._local(ctx, verification.link.expires_at)}))
    if ctx.apass is not None:
        pending = (LinkToken.objects.filter(society=ctx.society, purpose=purposes.EMAIL_CHANGE,
                                            payload__apass_id=ctx.apass.pk)
                   .still_valid(ctx.now).order_by("-expires_at").first())
        if pending is not None:
            items.append(_item("email_change_pending", "faq-email-change-login",
                               _("An e-mail change confirmation is valid and unused"),
                               _("to %(to)s, valid until %(until)s") % {"to": pending.email,
                                                                        "until": facts._local(ctx, pending.expires_at)}))
    return items


@triage
def _billing(ctx: CaseContext) -> list[dict]:
    if ctx.member is None:
        return []
    items = []
    invoices = list(Invoice.objects.filter(member=ctx.member).with_status()
                    .exclude(status=InvoiceStatus.CANCELLED).order_by("fiscal_year", "pk"))
    for invoice in invoices:
        if invoice.confirmed_at is None:
            items.append(_item("invoice_unconfirmed", "faq-invoice-not-on-mypage",
                               _("An invoice is not confirmed, so it is not shown on My Page"),
                               f"{invoice.number or ''} {invoice.name}".strip()))
        if invoice.status == InvoiceStatus.OVERPAID:
            items.append(_item("invoice_overpaid", "faq-overpaid",
                               _("The invoice of fiscal %(year)s is overpaid by %(amount)s yen") % {
                                   "year": invoice.fiscal_year, "amount": f"{invoice.paid - invoice.total:,}"},
                               f"{invoice.number or ''} {invoice.name}".strip()))
    years = billing_selectors.unpaid_years_by_member(ctx.society, [ctx.member.pk], ctx.today).get(ctx.member.pk, [])
    if len(years) >= max(1, ctx.society.lapse_threshold_years) and ctx.current_status == "active":
        items.append(_item("unpaid_years", None, _("Unpaid fiscal years: %(years)s") % {
            "years": ", ".join(str(y) for y in years)}))
    return items


def triage_of(ctx: CaseContext) -> list[dict]:
    return [item for check in TRIAGE for item in check(ctx)]
