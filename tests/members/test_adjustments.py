"""会員調整額 (ADJ-1): one-time and permanent member adjustments, signed yen."""

from __future__ import annotations

import pytest

from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from members import services
from members.models import MemberAdjustment

from .helpers import assert_error, last_audit, make_member, state

pytestmark = pytest.mark.django_db


def url(member) -> str:
    return f"/api/v1/members/{member.pk}/adjustments/"


@pytest.mark.parametrize("kind, amount", [("one_time", -2000), ("permanent", 1500)])
def test_adj1_adjustment_added_and_audited(api, society, regular_type, staff_op, kind, amount):
    member = make_member(society, regular_type)
    audits = AuditEntry.objects.count()
    r = api.post(url(member), {"kind": kind, "amount": amount, "note": "学会賞による減免"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["kind"] == kind
    assert body["amount"] == amount
    assert body["note"] == "学会賞による減免"
    assert body["spent_at"] is None  # a one-time adjustment is spent by the next invoice, not before
    adjustment = MemberAdjustment.objects.get(pk=body["id"])
    assert (adjustment.member_id, adjustment.kind, adjustment.amount) == (member.pk, kind, amount)

    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.adjustment.added"
    assert entry.actor_label == staff_op.email
    assert entry.target_id == str(member.pk)
    assert entry.after == {"kind": kind, "amount": amount, "note": "学会賞による減免", "adjustment_id": adjustment.pk}


def test_adj1_full_width_amount_accepted(api, society, regular_type):
    member = make_member(society, regular_type)
    r = api.post(url(member), {"kind": "permanent", "amount": "１０００"}, format="json")
    assert r.status_code == 201, r.json()
    assert MemberAdjustment.objects.get().amount == 1000
    r = api.post(url(member), {"kind": "one_time", "amount": "－５００"}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == -500


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"kind": "one_time", "amount": 0}, "amount"),
        ({"kind": "one_time", "amount": 10_000_001}, "amount"),
        ({"kind": "one_time", "amount": "1,000"}, "amount"),
        ({"kind": "one_time", "amount": 1.5}, "amount"),
        ({"kind": "one_time", "amount": True}, "amount"),
        ({"kind": "one_time"}, "amount"),
        ({"kind": "forever", "amount": 100}, "kind"),
        ({"amount": 100}, "kind"),
        ({"kind": "one_time", "amount": 100, "note": "x" * 201}, "note"),
    ],
)
def test_adj1_bad_adjustment_refused(api, society, regular_type, payload, field):
    member = make_member(society, regular_type)
    before = state()
    body = assert_error(api.post(url(member), payload, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert state() == before


def test_adj1_service_refuses_zero_and_unknown_kind(society, regular_type):
    member = make_member(society, regular_type)
    before = state()
    for kwargs in ({"kind": "one_time", "amount": 0}, {"kind": "monthly", "amount": 100}):
        with pytest.raises(DomainError) as exc:
            services.member_adjustment_add(actor="system: test", member=member, **kwargs)
        assert exc.value.code == "invalid"
    assert state() == before


def test_adj1_viewer_and_other_society_refused(viewer_api, other_api, society, regular_type):
    member = make_member(society, regular_type)
    before = state()
    assert_error(viewer_api.post(url(member), {"kind": "one_time", "amount": 100}, format="json"),
                 403, "permission_denied")
    assert_error(other_api.post(url(member), {"kind": "one_time", "amount": 100}, format="json"), 404, "not_found")
    assert state() == before


def test_adj1_spend_marks_only_unspent_one_time_adjustments_of_this_societys_members(society, regular_type, staff_op):
    """ADJ-1 (the service a billing run calls): the members' unspent one-time adjustments up to the id the caller
    summed, within the id range, are spent with the reference — never a permanent one, an already spent one, or one
    of another society's member, even when the caller names that member."""
    from members.factories import MemberFactory, SocietyFactory

    mine, other_mine = make_member(society, regular_type), make_member(society, regular_type)
    stranger = MemberFactory(society=SocietyFactory(slug="elsewhere"))
    spend = MemberAdjustment.objects.create(member=mine, kind="one_time", amount=-1000)
    keep_permanent = MemberAdjustment.objects.create(member=mine, kind="permanent", amount=-500)
    not_named = MemberAdjustment.objects.create(member=other_mine, kind="one_time", amount=-700)
    strangers = MemberAdjustment.objects.create(member=stranger, kind="one_time", amount=-900)
    later = MemberAdjustment.objects.create(member=mine, kind="one_time", amount=-300)
    spent = services.member_adjustments_spend(
        actor=staff_op, society=society, members=[mine.pk, stranger.pk], reference="billing run 7",
        up_to_id=strangers.pk, member_id_range=(min(mine.pk, stranger.pk), max(mine.pk, stranger.pk)))
    assert spent == 1
    rows = {a.pk: (a.spent_at is not None, a.spent_reference) for a in MemberAdjustment.objects.all()}
    assert rows[spend.pk] == (True, "billing run 7")
    assert not any(rows[a.pk][0] for a in (keep_permanent, not_named, strangers, later))
    entry = last_audit()
    assert (entry.action, entry.after) == ("members.adjustment.spent", {"spent_reference": "billing run 7", "adjustments": 1})
    # given as a query of ids, like a billing run does
    from members.models import Member

    assert services.member_adjustments_spend(actor=staff_op, society=society, members=Member.objects.values("pk"),
                                             reference="billing run 8") == 2  # later and not_named; never strangers
    strangers.refresh_from_db()
    assert strangers.spent_at is None
