"""Billing screens: exports — 請求書/領収書 PDFs (BIL-10, BIL-11), [会員別請求・入金情報ダウンロード] (BIL-9) and
督促メール送信 (BIL-12).

- ``invoice_pdf_view`` / ``receipt_pdf_view``: the URLs named ``billing-invoice-pdf`` and ``billing-receipt-pdf``
  (kwarg ``pk``; ``billing.admin.urls``). Any operator of the society, unconfirmed invoices included.
- ``billing_download_action``: an action of [個人会員検索] and [法人会員検索] (registered here, so members/ knows
  nothing of invoices): the CSV of the selected members, or of the whole search result with "select all".
- ``remind_action(modeladmin, request, queryset)``: an action any invoice list may register; it shows the
  督促メール送信 confirmation for the selected invoices. The same screen stands alone at ``billing-remind``
  (``?ids=1,2,3``).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.adminkit import can_write, report_domain_error
from backoffice.errors import DomainError
from members.models import CorporateMember, Member
from members.selectors import visible_members

from .. import exports, selectors
from ..api.exports import invoice_pdf_response, receipt_pdf_response, visible_invoice, visible_payment
from ..models import Invoice, InvoiceStatus
from ..services.reminders import MAX_REMINDERS, invoices_remind

# --- PDFs -------------------------------------------------------------------------------------------------


def invoice_pdf_view(request, pk: int):
    """請求書 PDF of an invoice of the operator's society (another society's: 404)."""
    return invoice_pdf_response(visible_invoice(request.user, pk))


def receipt_pdf_view(request, pk: int):
    """領収書 PDF of a payment of the operator's society (another society's: 404)."""
    return receipt_pdf_response(visible_payment(request.user, pk))


# --- [会員別請求・入金情報ダウンロード] ------------------------------------------------------------------------------


def member_billing_csv_view(request, pk: int):
    """BIL-9 for one member (``billing-member-csv``)."""
    member = get_object_or_404(visible_members(request.user).select_related("society"), pk=pk)
    label = member.member_number or f"id{member.pk}"
    return exports.csv_response(exports.invoices_for_member(member),
                                exports.filename_for(member.society, f"member-{label}"))


@admin.action(description=gettext_lazy("Download billing and payment information per member"),
              permissions=["change"])
def billing_download_action(modeladmin, request, queryset):
    """BIL-9 for the selected members (with "select all", the whole search result). Offered to the roles that
    have the list's actions (a viewer's member list has no action form); viewers download through the API
    (``GET /api/v1/exports/billing.csv``) and ``billing-member-csv``."""
    societies = exports.societies_of(request.user, queryset)
    society = societies[0] if len(societies) == 1 else None
    return exports.csv_response(exports.invoices_for_members(queryset, societies),
                                exports.filename_for(society, "search"))




# --- 督促メール送信 -----------------------------------------------------------------------------------------------

SKIP_LABELS = {
    "paid": InvoiceStatus.PAID.label,
    "overpaid": InvoiceStatus.OVERPAID.label,
    "cancelled": InvoiceStatus.CANCELLED.label,
    "no_payment_needed": InvoiceStatus.NO_PAYMENT_NEEDED.label,
    selectors.REMINDER_NOT_CONFIRMED: gettext_lazy("Not confirmed (not shown on My Page)"),
}
PREVIEW_LIMIT = 500


def skip_label(reason: str) -> str:
    return str(SKIP_LABELS.get(reason, reason))


def _remind_page(request, ids: list[int], *, action_name: str | None = None, result=None):
    """The confirmation: each invoice with its status now and whether it will get a mail."""
    invoices = list(selectors.invoices_of(request.user).filter(pk__in=ids).order_by("pk")[:PREVIEW_LIMIT])
    rows = []
    for invoice in invoices:
        reason = selectors.reminder_skip_reason(invoice)
        rows.append({"invoice": invoice, "status_label": InvoiceStatus(invoice.status).label,
                     "skip": skip_label(reason) if reason else None})
    skipped = []
    if result is not None:
        by_id = {i.pk: i for i in invoices}
        skipped = [{"invoice": by_id.get(s["invoice"], s["invoice"]), "reason": skip_label(s["reason"])}
                   for s in result.skipped]
    context = {
        **admin.site.each_context(request),
        "title": _("Send payment reminder mail"),
        "rows": rows, "ids": ids, "count": len(ids), "more": max(0, len(ids) - len(rows)),
        "to_send": sum(1 for r in rows if r["skip"] is None),
        "can_write": can_write(request), "action_name": action_name,
        "action_checkbox_name": ACTION_CHECKBOX_NAME, "result": result, "skipped": skipped,
    }
    return TemplateResponse(request, "admin/billing/remind.html", context)


def _send(request, ids: list[int]):
    """Call the service; a refusal becomes a message. Returns the result or None."""
    if not can_write(request):
        raise PermissionDenied
    try:
        result = invoices_remind(actor=request.user, invoices=ids)
    except DomainError as exc:
        report_domain_error(request, exc)
        return None
    messages.success(request, _("Sent %(sent)d payment reminder mails; %(skipped)d invoices were skipped.")
                     % {"sent": result.sent, "skipped": len(result.skipped)})
    return result


def remind_action(modeladmin, request, queryset):
    """An admin action for an invoice list: the 督促メール送信 confirmation of the selected invoices; [送信]
    sends (status decided again under lock at send time)."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MAX_REMINDERS + 1])
    if len(ids) > MAX_REMINDERS:
        modeladmin.message_user(request, _("Send reminders for at most %(n)d invoices at a time.") % {"n": MAX_REMINDERS},
                                messages.WARNING)
        return None
    result = _send(request, ids) if "apply" in request.POST else None
    return _remind_page(request, ids, action_name="remind_action", result=result)


remind_action.short_description = gettext_lazy("Send payment reminder mail")
remind_action.allowed_permissions = ("change",)


def _parse_ids(values: list[str]) -> list[int]:
    ids = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isascii() or not part.isdigit() or len(part) > 18:
                raise Http404(_("Not found."))
            ids.add(int(part))
    return sorted(ids)


def remind_view(request):
    """督促メール送信 standing alone (``billing-remind``): ``?ids=1,2,3`` (or repeated ``ids``), then [送信]."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _parse_ids(source.getlist("ids"))
    if len(ids) > MAX_REMINDERS:
        messages.warning(request, _("Send reminders for at most %(n)d invoices at a time.") % {"n": MAX_REMINDERS})
        ids = ids[:MAX_REMINDERS]
    visible = set(Invoice.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - visible:
        raise Http404(_("Not found."))
    result = None
    if request.method == "POST" and ids:
        result = _send(request, ids)
    return _remind_page(request, ids, result=result)


def _add_action(model, action) -> None:
    model_admin = admin.site._registry.get(model)
    if model_admin is not None and action not in (model_admin.actions or ()):
        model_admin.actions = [*(model_admin.actions or ()), action]


def register_actions() -> None:
    """Called by ``billing.admin`` once every screen is registered: [会員別請求・入金情報ダウンロード] on the member
    searches, 督促メール送信 on the invoice search (when that screen exists)."""
    for model in (Member, CorporateMember):
        _add_action(model, billing_download_action)
    _add_action(Invoice, remind_action)
