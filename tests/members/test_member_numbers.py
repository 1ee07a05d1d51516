"""[会員番号採番]: NUM-1 (who needs a number, proposals, assigning all at once) and NUM-2 (no duplicate, no
gap, not even with two operators at the same time)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from members import services
from members.models import Member, Society
from members.factories import MemberTypeFactory, SocietyFactory

from .helpers import assert_error, last_audit, make_member, state

pytestmark = pytest.mark.django_db

PENDING = "/api/v1/member-numbers/pending/"
ASSIGN = "/api/v1/member-numbers/assign/"


def assign(api, pairs):
    return api.post(ASSIGN, {"assignments": [{"member": m, "member_number": n} for m, n in pairs]}, format="json")


# --- NUM-1 ---------------------------------------------------------------------------------------------


def test_num1_pending_lists_active_members_without_number_with_proposals(api, society, regular_type, other_society):
    first = make_member(society, regular_type, status="active")
    make_member(society, regular_type, status="active", member_number="000120")
    make_member(society, regular_type, status="applying")
    make_member(society, regular_type, status="withdrawn")
    later = make_member(society, regular_type, status="active")
    scheduled = make_member(society, regular_type, status="applying",
                            applied_on=clock.today(society) - datetime.timedelta(days=3))
    scheduled.statuses.create(status="active", effective_date=clock.today(society) + datetime.timedelta(days=3))
    make_member(other_society, MemberTypeFactory(society=other_society), status="active")

    r = api.get(PENDING)
    assert r.status_code == 200
    body = r.json()
    assert [m["id"] for m in body["members"]] == [first.pk, later.pk]
    assert all(m["status"] == "active" and m["member_number"] is None for m in body["members"])
    assert body["next_numbers"] == ["000121", "000122"]


def test_num1_first_proposal_is_000001(api, society, regular_type):
    make_member(society, regular_type, status="active")
    assert api.get(PENDING).json()["next_numbers"] == ["000001"]


def test_num1_nothing_pending(api, society, regular_type):
    make_member(society, regular_type, status="applying")
    assert api.get(PENDING).json() == {"members": [], "next_numbers": []}


def test_num1_assign_numbers_to_all_pending_members(api, society, regular_type, staff_op):
    a = make_member(society, regular_type, status="active")
    b = make_member(society, regular_type, status="active")
    proposals = api.get(PENDING).json()["next_numbers"]
    audits = AuditEntry.objects.count()
    r = assign(api, [(a.pk, proposals[0]), (b.pk, proposals[1])])
    assert r.status_code == 200, r.json()
    assert r.json() == {"assigned": 2}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.member_number, b.member_number) == ("000001", "000002")
    assert api.get(PENDING).json() == {"members": [], "next_numbers": []}
    assert api.get(f"/api/v1/members/{a.pk}/").json()["member_number"] == "000001"

    # SEC-1: one entry per member, on the member (so its 履歴 shows it), sharing one batch id.
    assert AuditEntry.objects.count() == audits + 2
    for member, number in ((a, "000001"), (b, "000002")):
        (entry,) = AuditEntry.objects.for_object(member).filter(action="members.member_number.assigned")
        assert entry.actor_label == staff_op.email
        assert entry.society_id == society.pk
        assert (entry.before, entry.after) == ({"member_number": None}, {"member_number": number})
    assert len(set(AuditEntry.objects.filter(action="members.member_number.assigned").values_list("batch_id", flat=True))) == 1
    assert last_audit().batch_id is not None


def test_num1_full_width_numbers_stored_half_width(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    r = assign(api, [(a.pk, "０００１２３")])
    assert r.status_code == 200, r.json()
    a.refresh_from_db()
    assert a.member_number == "000123"
    assert api.get(PENDING).json()["next_numbers"] == []
    b = make_member(society, regular_type, status="active")
    assert api.get(PENDING).json()["next_numbers"] == ["000124"]
    assert b.member_number is None


def test_num1_numbers_are_per_society(api, society, regular_type, other_society):
    make_member(other_society, MemberTypeFactory(society=other_society), status="active", member_number="000001")
    a = make_member(society, regular_type, status="active")
    assert api.get(PENDING).json()["next_numbers"] == ["000001"]
    assert assign(api, [(a.pk, "000001")]).status_code == 200


# --- NUM-2 ---------------------------------------------------------------------------------------------


def test_num2_number_in_use_refused_naming_the_holder(api, society, regular_type):
    make_member(society, regular_type, status="withdrawn", member_number="000007", name="佐藤 花子")
    a = make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(assign(api, [(a.pk, "000007")]), 409, "member_number_taken")
    assert "000007" in body["detail"]
    assert "佐藤 花子" in body["detail"]
    assert state() == before


def test_num2_same_number_twice_in_one_request_refused(api, society, regular_type):
    a = make_member(society, regular_type, status="active", name="山田 一郎")
    b = make_member(society, regular_type, status="active", name="山田 二郎")
    before = state()
    body = assert_error(assign(api, [(a.pk, "000010"), (b.pk, "000010")]), 409, "member_number_taken")
    assert "000010" in body["detail"]
    assert state() == before


def test_num2_member_left_without_number_refused(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    b = make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(assign(api, [(a.pk, "000001")]), 400, "member_number_gap")
    assert "assignments" in body["fields"]
    assert_error(assign(api, [(a.pk, "000001"), (b.pk, "")]), 400, "member_number_gap")
    assert_error(assign(api, [(a.pk, "000001"), (b.pk, "　")]), 400, "member_number_gap")  # full-width space
    assert state() == before


def test_num2_gap_message_in_japanese(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    make_member(society, regular_type, status="active")
    body = assert_error(assign(api, [(a.pk, "000001")]), 400, "member_number_gap")
    assert "抜けのないように会員番号を採番してください" in body["detail"]


def test_num2_member_not_waiting_for_a_number_refused(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    applying = make_member(society, regular_type, status="applying")
    before = state()
    body = assert_error(assign(api, [(a.pk, "000001"), (applying.pk, "000002")]), 400, "invalid")
    assert "assignments" in body["fields"]
    assert state() == before


def test_num2_member_listed_twice_refused(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    before = state()
    assert_error(assign(api, [(a.pk, "000001"), (a.pk, "000002")]), 400, "invalid")
    assert state() == before


@pytest.mark.parametrize("number", ["12 34", "0001/2", "番号1", "x" * 21, "-001"])
def test_num2_malformed_number_refused(api, society, regular_type, number):
    a = make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(assign(api, [(a.pk, number)]), 400, "invalid")
    assert body["fields"]
    assert state() == before


def test_num2_empty_assignment_list_refused(api, society, regular_type):
    make_member(society, regular_type, status="active")
    before = state()
    assert_error(api.post(ASSIGN, {"assignments": []}, format="json"), 400, "invalid")
    assert state() == before


def test_num2_service_refusals_carry_codes(society, regular_type):
    make_member(society, regular_type, status="active", member_number="000001", name="既存 会員")
    a = make_member(society, regular_type, status="active")
    with pytest.raises(DomainError) as exc:
        services.member_numbers_assign(actor="system: test", society=society, assignments=[(a.pk, "000001")])
    assert (exc.value.code, exc.value.status) == ("member_number_taken", 409)
    assert "既存 会員" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        services.member_numbers_assign(actor="system: test", society=society, assignments=[])
    assert (exc.value.code, exc.value.status) == ("member_number_gap", 400)


def test_num2_unique_number_is_a_database_constraint(society, regular_type):
    a = make_member(society, regular_type, status="active", member_number="000001")
    b = make_member(society, regular_type, status="active")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=b.pk).update(member_number=a.member_number)


@pytest.mark.django_db(transaction=True)
def test_num2_concurrent_assignments_never_produce_a_duplicate():
    """Threads on their own connections: PostgreSQL row locks; SQLite's IMMEDIATE transactions (a file test
    database, so the threads really share it)."""
    society = SocietyFactory(slug="race", name="競合学会")
    member_type = MemberTypeFactory(society=society)
    members = [make_member(society, member_type, status="active") for _ in range(3)]
    assignments = [(m.pk, f"{i + 1:06d}") for i, m in enumerate(members)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def operator(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            fresh = Society.objects.get(pk=society.pk)
            outcomes.append(services.member_numbers_assign(actor=f"system: operator {n}", society=fresh,
                                                            assignments=assignments))
        except DomainError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - anything else is a failure the assertion shows
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=operator, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(outcomes) == 2, outcomes
    assert outcomes.count(3) == 1, outcomes  # exactly one operator assigned the three numbers
    loser = next(o for o in outcomes if o != 3)
    assert loser in {"invalid", "member_number_taken", "member_number_gap"}, outcomes
    numbers = list(Member.objects.filter(society=society).values_list("member_number", flat=True))
    assert sorted(numbers) == ["000001", "000002", "000003"]
    assert AuditEntry.objects.filter(action="members.member_number.assigned", society_id=society.pk).count() == 3
