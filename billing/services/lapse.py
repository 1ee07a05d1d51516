"""Billing services: lapse after non-payment (MEM-9)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from backoffice.errors import DomainError, NotFound
from backoffice.services import Actor, check_society, service
from members.models import Member, Status
from members.services import member_status_bulk_update

from .. import selectors
from ..models import Invoice

@service(permission="can_write")
def lapse_withdraw(*, actor: Actor, society, member_ids: Iterable[int], effective_date: datetime.date) -> int:
    """会員資格喪失候補 → 退会 (MEM-9): the secretariat withdraws the selected lapse candidates with one dated act,
    through [会員状況の一括更新] (MEM-6's date rule, one audit entry per member sharing a batch id). Nothing
    changes status on its own: this runs only when an operator asks.

    The members' open invoices are locked first (the payment service locks an invoice before registering on
    it), then every selected member must still be a candidate, else nothing is done (409 naming them,
    ``selectors.lapse_withdraw_refusal``)."""
    check_society(actor, society.pk)
    ids = sorted({int(i) for i in member_ids})
    if not ids:
        raise DomainError("invalid", _("Select at least one member."), fields={"member_ids": []})
    if Member.objects.filter(society=society, pk__in=ids).count() != len(ids):
        raise NotFound(_("Some of the selected members were not found."))
    list(Invoice.objects.select_for_update().filter(society=society, member_id__in=ids, cancelled_at__isnull=True)
         .order_by("pk").values_list("pk", flat=True))
    refusal = selectors.lapse_withdraw_refusal(society, ids)
    if refusal is not None:
        raise refusal
    return member_status_bulk_update(actor=actor, society=society, member_ids=ids, status=Status.WITHDRAWN,
                                     effective_date=effective_date)
