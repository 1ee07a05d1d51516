"""SEC-5 (個人情報保護法): records of who opened which member's record.

``member_access_record`` is the one writer of ``MemberAccess``. It is not a ``@service`` with an audit entry:
opening a record changes nothing, and a log row per opening (as ``MyPageSignIn`` is per attempt) is the record
the law asks for — one INSERT, no lock, no audit entry, so a page view stays cheap."""

from __future__ import annotations

from backoffice import audit, clock

from ..models import Member, MemberAccess


def member_access_record(*, actor, member: Member, via: str, where: str) -> MemberAccess:
    """``actor`` (an operator) opened ``member``'s record ``via`` the admin or the API at ``where`` (the screen or
    endpoint)."""
    if actor is None or actor == "" or isinstance(actor, str):
        raise ValueError("An access is recorded for an operator.")
    return MemberAccess.objects.create(
        society_id=member.society_id, member=member, operator=actor, operator_email=audit.actor_label(actor)[:255],
        via=via, where=where[:100], at=clock.now(member.society))
