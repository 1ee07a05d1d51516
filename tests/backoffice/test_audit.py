"""SEC-1: the audit trail is append-only, every service call writes one entry with its actor."""

from __future__ import annotations

import pytest

from backoffice import audit
from backoffice.models import AuditEntry
from members import services
from members.models import Member

pytestmark = pytest.mark.django_db


def test_sec1_record_with_an_operator(society, staff_op, regular_type):
    entry = audit.record(actor=staff_op, action="members.test.done", target=regular_type,
                         before={"a": 1}, after={"a": 2})
    entry.refresh_from_db()
    assert entry.actor_label == staff_op.email
    assert entry.actor_user_id == staff_op.pk
    assert entry.society_id == society.pk  # taken from the target
    assert entry.target_id == str(regular_type.pk)
    assert entry.target_repr == "正会員"
    assert (entry.before, entry.after) == ({"a": 1}, {"a": 2})
    assert list(AuditEntry.objects.for_object(regular_type)) == [entry]


def test_sec1_record_with_a_system_actor_and_no_target(society):
    entry = audit.record(actor="system: billing run 12", action="billing.run.started", society_id=society.pk)
    assert entry.actor_label == "system: billing run 12"
    assert entry.actor_user_id is None
    assert entry.target_type is None
    assert entry.target_id == ""


@pytest.mark.parametrize("actor", [None, ""])
def test_sec1_actor_is_required(actor):
    with pytest.raises(ValueError):
        audit.record(actor=actor, action="members.test.done")
    assert not AuditEntry.objects.exists()


def test_sec1_entries_are_append_only(society):
    entry = audit.record(actor="system: test", action="members.test.done", society_id=society.pk)
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    entry.refresh_from_db()
    assert entry.action == "members.test.done"


def test_sec1_failed_service_leaves_no_entry_and_no_change(society, regular_type):
    """The audit entry is written in the service's transaction: no actor, no member, no entry."""
    with pytest.raises(ValueError):
        services.member_create(actor=None, society=society, name="名無し", email="nobody@example.jp",
                               member_type=regular_type)
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists()


def test_sec1_one_entry_per_service_call(society, regular_type, staff_op):
    member = services.member_create(actor=staff_op, society=society, name="山田 太郎", email="taro@example.jp",
                                    member_type=regular_type)
    services.member_update(actor=staff_op, member=member, affiliation="東京大学")
    services.member_adjustment_add(actor="system: test", member=member, kind="permanent", amount=-1000)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_label"))
    assert actions == [
        ("members.member.created", staff_op.email),
        ("members.member.updated", staff_op.email),
        ("members.adjustment.added", "system: test"),
    ]
    assert all(e.target_id == str(member.pk) for e in AuditEntry.objects.all())


def test_sec1_dates_in_before_after_are_json(society, regular_type, staff_op):
    import datetime

    member = services.member_create(actor=staff_op, society=society, name="山田 太郎", email="taro@example.jp",
                                    member_type=regular_type, application_date=datetime.date(2025, 4, 1))
    services.member_update(actor=staff_op, member=member, scheduled_withdrawal_date=datetime.date(2027, 3, 31))
    entry = AuditEntry.objects.order_by("-id").first()
    entry.refresh_from_db()
    assert entry.before == {"scheduled_withdrawal_date": None}
    assert entry.after == {"scheduled_withdrawal_date": "2027-03-31"}
