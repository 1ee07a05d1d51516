"""SUP-8: the triage panel 「サポート: この会員の記録で分かること」 on every member page ([会員情報変更]) and on
[個人会員送信済みメール] searched by the address of someone not yet a member; each problem one click (a POST to
the console's start view, ``support/views.py``) from the case of its flow. Added through ``backoffice.panels`` (members/ and mail/ do
not import support/)."""

from __future__ import annotations

from django.template.loader import render_to_string

from backoffice import panels, text
from backoffice.adminkit import user_society

from .context import CaseContext
from .flows import SHIPPED
from .triage import triage_of


def _render(request, ctx: CaseContext, *, member=None, email: str = "") -> str:
    items = [{**item, "flow_title": SHIPPED[item["flow"]]["title"] if item["flow"] in SHIPPED else ""}
             for item in triage_of(ctx)]
    return render_to_string("support/triage_panel.html", {
        "items": items, "member": member, "email": email,
        "can_act": bool(getattr(request.user, "can_use_support", False))}, request=request)


def member_panel(request, member) -> str:
    return _render(request, CaseContext(society=member.society, actor=request.user, member=member), member=member)


def address_panel(request, term: str) -> str:
    """Only for an address no member of the society has (a member's problems are on their page)."""
    from members import selectors as member_selectors

    society = user_society(request)
    address = text.normalize_email(term or "")
    if society is None or "@" not in address or " " in address:
        return ""
    if member_selectors.members_of(society).filter(email=address).exists():
        return ""
    return _render(request, CaseContext(society=society, actor=request.user, email=address), email=address)


def register() -> None:
    panels.register("member", member_panel)
    panels.register("sent_mail_search", address_panel)
