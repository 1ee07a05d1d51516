"""SEC-5 (個人情報保護法, disclosure on request): everything the society holds on one member, as API.md "Personal
data" gives it — ``{member, statuses, email_history, apass, sign_ins, mails, invoices, payments, cases, audit,
accesses}`` — plus ``adjustments`` and ``apass_unlinks``. Never a password, a password hash or an A-Pass's
password-reset contact (only whether one is registered).

members/ knows no invoices and no support console (issue 13's layering): billing and support add their sections
with ``register_section`` from their AppConfig.ready(). Each section is a bounded number of queries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpResponse

from backoffice.models import AuditEntry

from .models import APassUnlink, Member, MemberAccess, MyPageSignIn

#: The keys of API.md, in its order; a registered section fills its key (``[]`` until one does).
KEYS = ("member", "statuses", "email_history", "adjustments", "apass", "apass_unlinks", "sign_ins", "mails",
        "invoices", "payments", "cases", "audit", "accesses")

_sections: dict[str, Callable[[Member], Any]] = {}


def register_section(key: str, provider: Callable[[Member], Any]) -> None:
    """``provider(member)`` gives the JSON-ready value of ``key`` (a list of dicts) for the disclosure."""
    _sections[key] = provider


def _stamp(value) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


MEMBER_FIELDS = ("id", "kind", "member_number", "name", "name_kana", "organization", "email", "affiliation",
                 "phone", "postal_code", "address")


def _member(member: Member) -> dict:
    data = {name: getattr(member, name) for name in MEMBER_FIELDS}
    data.update({
        "society": member.society.slug,
        "member_type": member.member_type.code,
        "scheduled_withdrawal_date": _day(member.scheduled_withdrawal_date),
        "apass_linked": member.apass_id is not None,
        "created_at": _stamp(member.created_at), "updated_at": _stamp(member.updated_at),
    })
    return data


def _apass(member: Member) -> dict | None:
    apass = member.apass
    if apass is None:
        return None
    return {"email": apass.email, "issued_at": _stamp(apass.issued_at),
            "recovery_contact_registered": bool(apass.recovery_contact), "linked_at": _stamp(member.apass_linked_at)}


def _sign_ins(member: Member) -> list[dict]:
    """The member's My Page sign-ins: theirs, and those of A-Passes once linked to them up to the unlink (the
    person's history, as [会員情報変更] shows it) — every one, not only the recent ones."""
    theirs = Q(member=member)
    if member.apass_id is not None:
        theirs |= Q(apass_id=member.apass_id)
    for apass_id, unlinked_at in APassUnlink.objects.filter(member=member).values_list("apass_id", "at"):
        theirs |= Q(apass_id=apass_id, at__lte=unlinked_at)
    rows = MyPageSignIn.objects.filter(theirs, society_id=member.society_id).order_by("-at", "-pk")
    return [{"at": _stamp(r.at), "reason": r.reason, "typed_id": r.typed_id, "client_address": r.client_address}
            for r in rows]


def _mails(member: Member) -> list[dict]:
    from mail.models import SentMail

    rows = SentMail.objects.filter(society_id=member.society_id, member_id=member.pk).order_by("-created_at", "-pk")
    return [{"id": m.pk, "kind": m.kind, "to": m.to, "subject": m.subject, "body": m.body, "status": m.status,
             "created_at": _stamp(m.created_at), "sent_at": _stamp(m.sent_at)} for m in rows]


def _audit(member: Member) -> list[dict]:
    rows = AuditEntry.objects.filter(society_id=member.society_id).for_object(member).order_by("at", "id")
    return [{"id": e.pk, "at": _stamp(e.at), "actor": e.actor_label, "action": e.action, "before": e.before,
             "after": e.after} for e in rows]


def accesses(member: Member) -> list[dict]:
    """API.md: ``[{at, operator (e-mail), via: admin|api}]``, newest first (and ``where``: the screen or
    endpoint)."""
    rows = MemberAccess.objects.filter(member=member).order_by("-at", "-pk")
    return [{"at": _stamp(a.at), "operator": a.operator_email, "via": a.via, "where": a.where} for a in rows]


def member_disclosure(member: Member) -> dict:
    """Everything the society holds on ``member``: one dict, JSON-ready."""
    member = (Member.objects.select_related("society", "member_type", "apass").get(pk=member.pk))
    data: dict[str, Any] = {
        "member": _member(member),
        "statuses": [{"status": s.status, "effective_date": _day(s.effective_date), "note": s.note,
                      "created_at": _stamp(s.created_at)}
                     for s in member.statuses.order_by("effective_date", "pk")],
        "email_history": [{"old_email": c.old_email, "new_email": c.new_email, "reason": c.reason, "note": c.note,
                           "by": c.actor_label, "at": _stamp(c.at)} for c in member.email_changes.order_by("at", "pk")],
        "adjustments": [{"kind": a.kind, "amount": a.amount, "note": a.note, "created_at": _stamp(a.created_at),
                         "spent_at": _stamp(a.spent_at), "spent_by": a.spent_reference}
                        for a in member.adjustments.order_by("created_at", "pk")],
        "apass": _apass(member),
        "apass_unlinks": [{"old_email": u.old_email, "new_email": u.new_email, "by": u.actor_label,
                           "at": _stamp(u.at)} for u in member.apass_unlinks.order_by("at", "pk")],
        "sign_ins": _sign_ins(member),
        "mails": _mails(member),
        "audit": _audit(member),
        "accesses": accesses(member),
    }
    for key, provider in _sections.items():
        data[key] = provider(member)
    return {key: data.get(key, []) for key in KEYS}


def disclosure_response(member: Member) -> HttpResponse:
    """The disclosure as a JSON file to download (never cached: personal data)."""
    body = json.dumps(member_disclosure(member), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    name = f"disclosure-{member.member_number or member.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
