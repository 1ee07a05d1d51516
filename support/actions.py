"""Actions an outcome offers (SUP-3): each calls the very service the admin screen of its name calls, with the
agent as actor, so the same rules refuse and the same audit records."""

from __future__ import annotations

from members import services as member_services
from members.models import Status

from .context import CaseContext
from .registry import action


@action("set_status_applying")
def set_status_applying(*, actor, context: CaseContext, params: dict) -> dict:
    """seed 000 2-2: [会員状況変更] → 「申請中」, dated today on the society clock (re-admission)."""
    entry = member_services.member_status_add(actor=actor, member=context.member, status=Status.APPLYING,
                                              effective_date=context.today)
    return {"member": context.member.pk, "status": entry.status, "effective_date": entry.effective_date.isoformat()}


@action("unlink_apass")
def unlink_apass(*, actor, context: CaseContext, params: dict) -> dict:
    """seed 000 4. ログイン情報の統合解除 (APS-4), the same service as [ログイン情報統合解除]; the action's own
    confirmation is 「会員のログイン情報の統合を解除します」."""
    old = context.member.email
    member = member_services.apass_unlink(actor=actor, member=context.member, new_email=params.get("new_email", ""))
    return {"member": member.pk, "old_email": old, "email": member.email, "apass_linked": member.apass_linked}
