"""Small helpers shared by the members API tests."""

from __future__ import annotations

import datetime

from backoffice.models import AuditEntry
from members.models import Member, MemberAdjustment, MemberEmailChange, MemberStatus, MemberType
from members.factories import create_member_with_history

APPLIED = datetime.date(2024, 4, 1)  # create_member_with_history's default application date


def assert_error(response, status: int, code: str) -> dict:
    """The API's one error shape: ``{code, detail, fields}`` with the given status and code."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert isinstance(body["fields"], dict), body
    return body


def state() -> tuple:
    """Everything a refused request must leave untouched."""
    return (
        Member.objects.count(),
        MemberStatus.objects.count(),
        AuditEntry.objects.count(),
        MemberEmailChange.objects.count(),
        MemberAdjustment.objects.count(),
        MemberType.objects.count(),
        tuple(Member.objects.order_by("pk").values_list("pk", "email", "name", "member_number", "phone")),
    )


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


def make_member(society, member_type, status: str = "active", applied_on: datetime.date = APPLIED, **kwargs) -> Member:
    """A member of ``society`` whose current status is ``status`` (history from factories.HISTORIES)."""
    return create_member_with_history(status, applied_on=applied_on, society=society, member_type=member_type, **kwargs)


def history(member: Member) -> list[tuple[str, datetime.date]]:
    return list(member.statuses.order_by("effective_date").values_list("status", "effective_date"))
