"""The dated status history: MEM-4 (current status on the society clock, transitions), MEM-5 (one entry per
day, the 申請中 → 入会 edit), MEM-6 (bulk update), MEM-7 (申請取下)."""

from __future__ import annotations

import datetime

import pytest

from backoffice import clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from members import services
from members.models import MemberStatus

from .helpers import APPLIED, assert_error, history, last_audit, make_member, state

pytestmark = pytest.mark.django_db

D = datetime.date
LATER = D(2025, 12, 1)  # after every history create_member_with_history builds (latest: APPLIED + 500 days)
STATUSES = ["applying", "active", "withdrawn", "expelled", "application_withdrawn"]
ALLOWED = {
    ("applying", "active"),
    ("applying", "application_withdrawn"),
    ("active", "withdrawn"),
    ("active", "expelled"),
    ("withdrawn", "applying"),
    ("expelled", "applying"),
    ("application_withdrawn", "applying"),
}


def statuses_url(member) -> str:
    return f"/api/v1/members/{member.pk}/statuses/"


def add(api, member, status, day, **extra):
    return api.post(statuses_url(member), {"status": status, "effective_date": day.isoformat(), **extra}, format="json")


def current(api, member) -> str:
    return api.get(f"/api/v1/members/{member.pk}/").json()["status"]


# --- MEM-4 ---------------------------------------------------------------------------------------------


def test_mem4_history_listed_oldest_first(api, society, regular_type):
    member = make_member(society, regular_type, status="withdrawn")
    r = api.get(statuses_url(member))
    assert r.status_code == 200
    body = r.json()
    assert [(e["status"], e["effective_date"]) for e in body] == [
        ("applying", "2024-04-01"), ("active", "2024-04-15"), ("withdrawn", "2025-05-06"),
    ]
    assert set(body[0]) == {"id", "status", "effective_date", "note"}


def test_mem4_add_status_entry_audited(api, society, regular_type, staff_op):
    member = make_member(society, regular_type, status="applying")
    audits = AuditEntry.objects.count()
    r = add(api, member, "active", D(2024, 5, 1), note="理事会承認")
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "active"
    assert r.json()["effective_date"] == "2024-05-01"
    assert r.json()["note"] == "理事会承認"
    assert history(member)[-1] == ("active", D(2024, 5, 1))
    assert AuditEntry.objects.count() == audits + 1
    entry = last_audit()
    assert entry.action == "members.member.status_added"
    assert entry.actor_label == staff_op.email
    assert entry.target_id == str(member.pk)
    assert entry.before == {"status": "applying", "effective_date": "2024-04-01", "note": ""}
    assert entry.after == {"status": "active", "effective_date": "2024-05-01", "note": "理事会承認"}


def test_mem4_current_status_is_latest_entry_on_or_before_today(api, society, regular_type):
    today = clock.today(society)
    member = make_member(society, regular_type, status="active", applied_on=today - datetime.timedelta(days=30))
    assert add(api, member, "withdrawn", today + datetime.timedelta(days=5)).status_code == 201  # scheduled change
    assert current(api, member) == "active"
    assert [m["id"] for m in api.get("/api/v1/members/?status=active").json()["results"]] == [member.pk]
    assert api.get("/api/v1/members/?status=withdrawn").json()["results"] == []
    # An entry dated today is already current.
    other = make_member(society, regular_type, status="applying", applied_on=today - datetime.timedelta(days=3))
    assert add(api, other, "active", today).status_code == 201
    assert current(api, other) == "active"


def test_mem4_scheduled_change_takes_effect_when_the_sandbox_clock_moves(api, society, regular_type):
    today = clock.today(society)
    member = make_member(society, regular_type, status="active", applied_on=today - datetime.timedelta(days=30))
    assert add(api, member, "withdrawn", today + datetime.timedelta(days=5)).status_code == 201
    assert current(api, member) == "active"

    society.is_sandbox = True
    society.clock_offset = datetime.timedelta(days=4)
    society.save()
    assert current(api, member) == "active"

    society.clock_offset = datetime.timedelta(days=5)
    society.save()
    assert current(api, member) == "withdrawn"
    assert [m["id"] for m in api.get("/api/v1/members/?status=withdrawn").json()["results"]] == [member.pk]
    # Release-email reads the same clock: the withdrawal is now current.
    assert api.post(f"/api/v1/members/{member.pk}/release-email/", {}, format="json").status_code == 200


def test_mem4_clock_offset_ignored_outside_a_sandbox(api, society, regular_type):
    today = clock.today(society)
    member = make_member(society, regular_type, status="active", applied_on=today - datetime.timedelta(days=30))
    assert add(api, member, "withdrawn", today + datetime.timedelta(days=5)).status_code == 201
    society.is_sandbox = False
    society.clock_offset = datetime.timedelta(days=30)
    society.save()
    assert current(api, member) == "active"


def test_mem4_new_member_defaults_to_today_on_the_sandbox_clock(api, society, regular_type):
    society.is_sandbox = True
    society.clock_offset = datetime.timedelta(days=100)
    society.save()
    r = api.post("/api/v1/members/", {"name": "未来 太郎", "email": "future@example.jp", "member_type": "regular"},
                 format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["status"] == "applying"
    assert history(society.members.get()) == [("applying", clock.today(society))]
    assert clock.today(society) > datetime.date.today()


def test_mem4_member_with_only_a_future_entry_has_no_current_status(api, society, regular_type):
    future = clock.today(society) + datetime.timedelta(days=10)
    r = api.post("/api/v1/members/", {"name": "予定 太郎", "email": "plan@example.jp", "member_type": "regular",
                                      "application_date": future.isoformat()}, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["status"] is None
    assert r.json()["status_label"] is None


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_mem4_status_transitions(api, society, regular_type, old, new):
    member = make_member(society, regular_type, status=old)
    before = state()
    r = add(api, member, new, LATER)
    if (old, new) in ALLOWED:
        assert r.status_code == 201, r.json()
        assert current(api, member) == new
    else:
        body = assert_error(r, 409, "invalid_transition")
        assert "status" in body["fields"]
        assert state() == before


def test_mem4_status_date_too_early(api, society, regular_type):
    member = make_member(society, regular_type, status="active")  # latest: active on 2024-04-15
    before = state()
    body = assert_error(add(api, member, "withdrawn", D(2024, 4, 10)), 409, "status_date_too_early")
    assert "2024-04-15" in body["detail"]
    assert "effective_date" in body["fields"]
    assert state() == before


def test_mem4_date_after_a_scheduled_entry_required(api, society, regular_type):
    """A new entry comes after the latest one, scheduled (future) entries included."""
    today = clock.today(society)
    member = make_member(society, regular_type, status="active", applied_on=today - datetime.timedelta(days=60))
    assert add(api, member, "withdrawn", today + datetime.timedelta(days=20)).status_code == 201
    before = state()
    assert_error(add(api, member, "expelled", today + datetime.timedelta(days=1)), 409, "status_date_too_early")
    assert state() == before


def test_mem4_unknown_status_refused(api, society, regular_type):
    member = make_member(society, regular_type, status="active")
    before = state()
    body = assert_error(add(api, member, "retired", LATER), 400, "invalid")
    assert "status" in body["fields"]
    assert state() == before


def test_mem4_service_refuses_unknown_status_and_requires_actor(society, regular_type):
    member = make_member(society, regular_type, status="active")
    with pytest.raises(DomainError) as exc:
        services.member_status_add(actor="system: test", member=member, status="retired", effective_date=LATER)
    assert exc.value.code == "invalid"
    with pytest.raises(ValueError):
        services.member_status_add(actor=None, member=member, status="withdrawn", effective_date=LATER)
    assert history(member)[-1][0] == "active"  # the failed call left nothing behind


# --- MEM-5 ---------------------------------------------------------------------------------------------


def test_mem5_two_statuses_same_day_refused(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    before = state()
    body = assert_error(add(api, member, "active", APPLIED), 409, "status_same_day")
    assert "effective_date" in body["fields"]
    assert state() == before


def test_mem5_same_day_refused_by_the_service(society, regular_type):
    member = make_member(society, regular_type, status="applying")
    with pytest.raises(DomainError) as exc:
        services.member_status_add(actor="system: test", member=member, status="active", effective_date=APPLIED)
    assert exc.value.code == "status_same_day"
    assert exc.value.status == 409


def test_mem5_one_status_per_day_is_a_database_constraint(society, regular_type):
    from django.db import IntegrityError, transaction

    member = make_member(society, regular_type, status="applying")
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberStatus.objects.create(member=member, status="active", effective_date=APPLIED)


def test_mem5_applying_entry_edited_into_active_on_the_same_day(api, society, regular_type, staff_op):
    r = api.post("/api/v1/members/", {"name": "同日 入会", "email": "sameday@example.jp", "member_type": "regular",
                                      "application_date": "2025-04-01"}, format="json")
    member_id = r.json()["id"]
    entry = MemberStatus.objects.get(member_id=member_id)
    audits = AuditEntry.objects.count()
    r = api.patch(f"/api/v1/members/{member_id}/statuses/{entry.pk}/", {"status": "active"}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json() == {"id": entry.pk, "status": "active", "effective_date": "2025-04-01", "note": ""}
    assert list(MemberStatus.objects.filter(member_id=member_id).values_list("status", "effective_date")) == [
        ("active", D(2025, 4, 1))
    ]
    assert api.get(f"/api/v1/members/{member_id}/").json()["status"] == "active"
    assert AuditEntry.objects.count() == audits + 1
    audit = last_audit()
    assert audit.action == "members.member.status_edited"
    assert audit.actor_label == staff_op.email
    assert audit.before == {"status": "applying", "effective_date": "2025-04-01", "note": ""}
    assert audit.after == {"status": "active", "effective_date": "2025-04-01", "note": ""}
    # …and the member now waits for a number (NUM-1).
    assert [m["id"] for m in api.get("/api/v1/member-numbers/pending/").json()["members"]] == [member_id]


def test_mem5_edit_that_breaks_the_chain_refused(api, society, regular_type):
    member = make_member(society, regular_type, status="active")  # applying → active
    first = member.statuses.order_by("effective_date").first()
    before = state()
    r = api.patch(f"/api/v1/members/{member.pk}/statuses/{first.pk}/", {"status": "active"}, format="json")
    assert_error(r, 409, "invalid_transition")
    assert state() == before


def test_mem5_edit_onto_another_entrys_date_refused(api, society, regular_type):
    member = make_member(society, regular_type, status="withdrawn")  # 2024-04-01, 2024-04-15, 2025-05-06
    active = member.statuses.get(status="active")
    before = state()
    r = api.patch(f"/api/v1/members/{member.pk}/statuses/{active.pk}/", {"effective_date": "2025-05-06"}, format="json")
    assert_error(r, 409, "status_same_day")
    r = api.patch(f"/api/v1/members/{member.pk}/statuses/{active.pk}/", {"effective_date": "2025-06-01"}, format="json")
    assert_error(r, 409, "status_date_too_early")
    assert state() == before
    r = api.patch(f"/api/v1/members/{member.pk}/statuses/{active.pk}/",
                  {"effective_date": "２０２４－０５－０１"}, format="json")
    assert r.status_code == 200, r.json()
    assert history(member)[1] == ("active", D(2024, 5, 1))


def test_mem5_entry_of_another_member_not_found(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    stranger = make_member(society, regular_type, status="applying")
    entry = stranger.statuses.get()
    before = state()
    r = api.patch(f"/api/v1/members/{member.pk}/statuses/{entry.pk}/", {"status": "active"}, format="json")
    assert_error(r, 404, "not_found")
    assert state() == before


def test_mem5_same_day_message_in_japanese(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    body = assert_error(add(api, member, "active", APPLIED), 409, "status_same_day")
    assert "同日で2つの会員状況を登録することはできません" in body["detail"]


# --- MEM-6 ---------------------------------------------------------------------------------------------


def bulk(api, ids, status, day):
    return api.post("/api/v1/members/bulk-status/",
                    {"member_ids": list(ids), "status": status, "effective_date": day}, format="json")


def test_mem6_bulk_date_before_latest_plus_one_day_refused_naming_the_earliest_date(api, society, regular_type):
    a = make_member(society, regular_type, status="active", applied_on=D(2024, 4, 1))  # active since 2024-04-15
    b = make_member(society, regular_type, status="active", applied_on=D(2024, 6, 1))  # active since 2024-06-15
    before = state()
    for day in ("2024-06-15", "2024-05-01"):
        body = assert_error(bulk(api, [a.pk, b.pk], "withdrawn", day), 409, "bulk_status_date_too_early")
        assert "2024-06-16" in body["detail"]
        assert "effective_date" in body["fields"]
    assert state() == before


def test_mem6_bulk_update_on_the_earliest_allowed_date(api, society, regular_type, staff_op):
    a = make_member(society, regular_type, status="active", applied_on=D(2024, 4, 1))
    b = make_member(society, regular_type, status="active", applied_on=D(2024, 6, 1))
    audits = AuditEntry.objects.count()
    r = bulk(api, [b.pk, a.pk], "withdrawn", "2024-06-16")
    assert r.status_code == 200, r.json()
    assert r.json() == {"updated": 2}
    assert history(a)[-1] == ("withdrawn", D(2024, 6, 16))
    assert history(b)[-1] == ("withdrawn", D(2024, 6, 16))
    # SEC-1: one entry per member (each member's 履歴 shows it), sharing one batch id.
    assert AuditEntry.objects.count() == audits + 2
    entries = [AuditEntry.objects.for_object(m).get(action="members.member.status_bulk_updated") for m in (a, b)]
    for entry in entries:
        assert entry.actor_label == staff_op.email
        assert entry.society_id == society.pk
        # the 退会 entry is the member's 退会予定日 (one fact)
        assert entry.after == {"status": "withdrawn", "effective_date": "2024-06-16", "note": "",
                               "scheduled_withdrawal_date": "2024-06-16"}
    assert entries[0].before["effective_date"] == "2024-04-15"
    assert entries[0].batch_id is not None and entries[0].batch_id == entries[1].batch_id


def test_mem6_bulk_counts_scheduled_entries(api, society, regular_type):
    today = clock.today(society)
    a = make_member(society, regular_type, status="active", applied_on=today - datetime.timedelta(days=100))
    b = make_member(society, regular_type, status="applying", applied_on=today - datetime.timedelta(days=10))
    b.statuses.create(status="active", effective_date=today + datetime.timedelta(days=7))  # scheduled
    earliest = (today + datetime.timedelta(days=8)).isoformat()
    body = assert_error(bulk(api, [a.pk, b.pk], "withdrawn", today.isoformat()), 409, "bulk_status_date_too_early")
    assert earliest in body["detail"]
    assert bulk(api, [a.pk, b.pk], "withdrawn", earliest).json() == {"updated": 2}


def test_mem6_bulk_is_all_or_none(api, society, regular_type):
    active = make_member(society, regular_type, status="active")
    applying = make_member(society, regular_type, status="applying")
    before = state()
    assert_error(bulk(api, [active.pk, applying.pk], "withdrawn", "2025-01-01"), 409, "invalid_transition")
    assert state() == before


def test_mem6_bulk_refusal_from_the_service(society, regular_type):
    a = make_member(society, regular_type, status="active")
    with pytest.raises(DomainError) as exc:
        services.member_status_bulk_update(actor="system: test", society=society, member_ids=[a.pk],
                                           status="withdrawn", effective_date=D(2024, 4, 15))
    assert exc.value.code == "bulk_status_date_too_early"
    assert "2024-04-16" in str(exc.value)
    with pytest.raises(DomainError) as exc:
        services.member_status_bulk_update(actor="system: test", society=society, member_ids=[],
                                           status="withdrawn", effective_date=D(2025, 1, 1))
    assert exc.value.code == "invalid"


def test_mem6_bulk_full_width_input(api, society, regular_type):
    a = make_member(society, regular_type, status="active")
    r = api.post("/api/v1/members/bulk-status/",
                 {"member_ids": [str(a.pk).translate(str.maketrans("0123456789", "０１２３４５６７８９"))],
                  "status": "withdrawn", "effective_date": "２０２５－０１－０１"}, format="json")
    assert r.status_code == 200, r.json()
    assert history(a)[-1] == ("withdrawn", D(2025, 1, 1))


# --- MEM-7 ---------------------------------------------------------------------------------------------


def test_mem7_mistaken_application_withdrawn_via_api(api, society, regular_type):
    member = make_member(society, regular_type, status="applying")
    r = add(api, member, "application_withdrawn", D(2024, 4, 2), note="誤申請")
    assert r.status_code == 201, r.json()
    assert current(api, member) == "application_withdrawn"
    assert last_audit().after["status"] == "application_withdrawn"
    # The record can be re-admitted later (申請取下 → 申請中).
    assert add(api, member, "applying", D(2024, 5, 1)).status_code == 201


def test_mem7_application_withdraw_service_audited(society, regular_type):
    member = make_member(society, regular_type, status="applying")
    entry = services.member_application_withdraw(actor="system: support case 7", member=member,
                                                 effective_date=D(2024, 4, 3), note="誤申請")
    assert (entry.status, entry.effective_date) == ("application_withdrawn", D(2024, 4, 3))
    audit = last_audit()
    assert audit.action == "members.member.application_withdrawn"
    assert audit.actor_label == "system: support case 7"
    assert audit.actor_user_id is None
    assert audit.after == {"status": "application_withdrawn", "effective_date": "2024-04-03", "note": "誤申請"}


def test_mem7_active_member_cannot_withdraw_an_application(society, regular_type):
    member = make_member(society, regular_type, status="active")
    before = state()
    with pytest.raises(DomainError) as exc:
        services.member_application_withdraw(actor="system: test", member=member, effective_date=LATER)
    assert exc.value.code == "invalid_transition"
    assert state() == before
