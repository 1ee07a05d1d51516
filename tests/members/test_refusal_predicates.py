"""Issue 13 §0 "one refusal shape": every guard of the members app is a public selector
``<noun>_<verb>_refusal(...)`` answering a DomainError (code, message, fields, evidence) or None, and the
service refuses exactly when it says so, with the same code. Each case below asks the predicate, then calls
the service on the same state: None → the service succeeds; a refusal → the service raises that code."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.hashers import make_password

from backoffice.errors import DomainError
from members import selectors, services
from members.factories import MemberTypeFactory, OperatorFactory, SocietyFactory
from members.models import APass, APassUnlink, Member, Status

from .helpers import APPLIED, make_member

pytestmark = pytest.mark.django_db

D = datetime.date
JOINED = APPLIED + datetime.timedelta(days=14)  # create_member_with_history's 入会/在会 date


def enforces(refusal: DomainError | None, call) -> DomainError | None:
    """The service ``call`` succeeds when ``refusal`` is None and otherwise raises a refusal of its code."""
    if refusal is None:
        call()
        return None
    with pytest.raises(DomainError) as raised:
        call()
    assert (raised.value.code, raised.value.status) == (refusal.code, refusal.status), (raised.value, refusal)
    return raised.value


def link(member: Member, email: str | None = None) -> APass:
    apass = APass.objects.create(email=email or member.email, password=make_password("Pass-1234"))
    Member.objects.filter(pk=member.pk).update(apass=apass)
    member.refresh_from_db()
    return apass


# --- 退会予定日 (scheduled_withdrawal_set_refusal) ----------------------------------------------------------


def _withdrawal_case(case, society, regular_type):
    if case == "past_withdrawal":
        return make_member(society, regular_type, status="withdrawn"), D(2030, 3, 31)
    member = make_member(society, regular_type, status="active")
    if case == "scheduled_moved_before_joining":
        services.member_update(actor="system: test", member=member, scheduled_withdrawal_date=D(2030, 3, 31))
        return member, JOINED
    if case == "scheduled_cleared":
        services.member_update(actor="system: test", member=member, scheduled_withdrawal_date=D(2030, 3, 31))
        return member, None
    return member, {"free": D(2030, 3, 31), "before_latest": APPLIED + datetime.timedelta(days=5),
                    "on_latest": JOINED}[case]


@pytest.mark.parametrize("case,code", [
    ("free", None), ("scheduled_cleared", None), ("before_latest", "status_date_too_early"),
    ("on_latest", "status_date_too_early"), ("scheduled_moved_before_joining", "status_date_too_early"),
    ("past_withdrawal", "invalid_transition"),
])
def test_issue13_scheduled_withdrawal_set_refusal_is_what_member_update_enforces(society, regular_type, staff_op,
                                                                                  case, code):
    member, day = _withdrawal_case(case, society, regular_type)
    refusal = selectors.scheduled_withdrawal_set_refusal(member, day)
    assert (refusal.code if refusal else None) == code
    enforces(refusal, lambda: services.member_update(actor=staff_op, member=member, scheduled_withdrawal_date=day))
    if code is None:
        member.refresh_from_db()
        assert member.scheduled_withdrawal_date == day
    else:
        assert refusal.evidence  # the date it conflicts with


def test_issue13_joining_after_a_scheduled_withdrawal_is_refused_by_status_add_refusal(society, regular_type,
                                                                                       staff_op):
    """A 退会予定日 set while applying must come after the joining date: status_add_refusal says so before the
    entry is written (it was found only by the scheduling after the insert)."""
    member = make_member(society, regular_type, status="applying")
    services.member_update(actor=staff_op, member=member, scheduled_withdrawal_date=APPLIED + datetime.timedelta(days=5))
    latest = selectors.status_entries(member)[-1]
    for day, code in ((APPLIED + datetime.timedelta(days=9), "status_date_too_early"),
                      (APPLIED + datetime.timedelta(days=2), None)):
        member.refresh_from_db()
        refusal = selectors.status_add_refusal(member, latest, Status.ACTIVE, day)
        assert (refusal.code if refusal else None) == code
        enforces(refusal, lambda: services.member_status_add(actor=staff_op, member=member, status=Status.ACTIVE,
                                                             effective_date=day))
    assert [e.status for e in selectors.status_entries(member)] == ["applying", "active", "withdrawn"]


# --- editing a status entry (status_entry_edit_refusal) ----------------------------------------------------


@pytest.mark.parametrize("index,status,day,code", [
    (1, "active", JOINED + datetime.timedelta(days=3), None),
    (0, "applying", APPLIED - datetime.timedelta(days=3), None),
    (1, "active", APPLIED, "status_same_day"),
    (0, "applying", JOINED + datetime.timedelta(days=3), "status_date_too_early"),
    (1, "expelled", JOINED, "invalid_transition"),
    (0, "withdrawn", APPLIED, "invalid_transition"),
    (1, "nonsense", JOINED, "invalid"),
])
def test_issue13_status_entry_edit_refusal_is_what_member_status_edit_enforces(society, regular_type, staff_op,
                                                                               index, status, day, code):
    member = make_member(society, regular_type, status="active")
    entries = selectors.status_entries(member)
    entry = entries[index]
    refusal = selectors.status_entry_edit_refusal(member, entries, entry, status, day)
    assert (refusal.code if refusal else None) == code
    enforces(refusal, lambda: services.member_status_edit(actor=staff_op, entry=entry, status=status,
                                                          effective_date=day))
    if code is None:
        entry.refresh_from_db()
        assert (entry.status, entry.effective_date) == (status, day)


def test_issue13_mem5_same_day_joining_edit_against_a_scheduled_withdrawal(society, regular_type, staff_op):
    """MEM-5's edit of 申請中 into 入会/在会 makes it the latest 入会 entry: a 退会予定日 not after it is refused."""
    member = make_member(society, regular_type, status="applying")
    services.member_update(actor=staff_op, member=member, scheduled_withdrawal_date=APPLIED + datetime.timedelta(days=5))
    member.refresh_from_db()
    entries = selectors.status_entries(member)
    for day, code in ((APPLIED + datetime.timedelta(days=6), "status_date_too_early"), (APPLIED, None)):
        refusal = selectors.status_entry_edit_refusal(member, entries, entries[0], Status.ACTIVE, day)
        assert (refusal.code if refusal else None) == code
        enforces(refusal, lambda: services.member_status_edit(actor=staff_op, entry=entries[0], status=Status.ACTIVE,
                                                              effective_date=day))


# --- the e-mail of [会員情報変更] (member_email_edit_refusal) ------------------------------------------------


@pytest.mark.parametrize("case,code", [
    ("free", None), ("linked_same", None), ("linked", "email_locked_by_apass"), ("taken", "email_in_use"),
])
def test_issue13_member_email_edit_refusal_is_what_member_update_enforces(society, regular_type, staff_op, case, code):
    member = make_member(society, regular_type, email="hanako@example.jp")
    make_member(society, regular_type, status="withdrawn", email="taken@example.jp")
    if case.startswith("linked"):
        link(member)
    new = {"free": "hanako.new@example.jp", "linked_same": "hanako@example.jp", "linked": "hanako.new@example.jp",
           "taken": "taken@example.jp"}[case]
    refusal = selectors.member_email_edit_refusal(member, new)
    assert (refusal.code if refusal else None) == code
    enforces(refusal, lambda: services.member_update(actor=staff_op, member=member, email=new))
    member.refresh_from_db()
    assert member.email == (new if code is None else "hanako@example.jp")
    if case == "linked":
        assert refusal.evidence == {"apass_id": member.apass_id, "apass_email": "hanako@example.jp"}


def test_issue13_the_member_form_greys_out_the_email_exactly_when_the_predicate_refuses(society, regular_type):
    from members.forms import MemberForm

    free, locked = make_member(society, regular_type), make_member(society, regular_type)
    link(locked)
    for member in (free, locked):
        assert MemberForm(instance=member).fields["email"].disabled == (
            selectors.member_email_edit_refusal(member) is not None)
    assert selectors.member_email_edit_refusal(locked).code == "email_locked_by_apass"


# --- the My Page e-mail change (apass_email_change_refusal) ----------------------------------------------


@pytest.mark.parametrize("new,code", [
    ("hanako.new@example.jp", None), ("hanako@example.jp", "invalid"), ("other@example.jp", "email_in_use"),
    ("withdrawn@example.jp", "email_in_use"),
])
def test_issue13_apass_email_change_refusal_is_what_email_change_request_enforces(new, code):
    sandbox = SocietyFactory(slug="training", is_sandbox=True)
    trainer = OperatorFactory(society=sandbox, role="trainer")
    member_type = MemberTypeFactory(society=sandbox)
    apass = link(make_member(sandbox, member_type, email="hanako@example.jp"))
    APass.objects.create(email="other@example.jp", password=make_password("x"))
    make_member(sandbox, member_type, status="withdrawn", email="withdrawn@example.jp")
    refusal = selectors.apass_email_change_refusal(apass, new)
    assert (refusal.code if refusal else None) == code
    enforces(refusal, lambda: services.email_change_request(
        actor=trainer, society=sandbox, session_email="hanako@example.jp", password="Pass-1234", new_email=new))


# --- [会員番号修正] (member_number_correct_refusal) ----------------------------------------------------------


@pytest.mark.parametrize("case,number,code", [
    ("numbered", "000077", None), ("numbered", "000001", None), ("unnumbered", "000077", "member_number_not_assigned"),
    ("numbered", "000002", "member_number_taken"), ("numbered", "12-3", "invalid"), ("numbered", "", "invalid"),
])
def test_issue13_member_number_correct_refusal_is_what_member_number_correct_enforces(society, regular_type, admin_op,
                                                                                      case, number, code):
    member = make_member(society, regular_type, member_number=None if case == "unnumbered" else "000001")
    holder = make_member(society, regular_type, member_number="000002", name="山田 花子")
    refusal = selectors.member_number_correct_refusal(member, number)
    assert (refusal.code if refusal else None) == code
    enforces(refusal, lambda: services.member_number_correct(actor=admin_op, member=member, member_number=number))
    if code == "member_number_taken":
        assert refusal.evidence == {"member_number": "000002", "holder_id": holder.pk, "holder_name": "山田 花子"}
    member.refresh_from_db()
    assert member.member_number == (number if code is None else (None if case == "unnumbered" else "000001"))


def test_issue13_the_member_page_offers_the_correction_as_the_predicate_says(society, regular_type, admin_op, client):
    client.force_login(admin_op)
    for number in ("000001", None):
        member = make_member(society, regular_type, member_number=number)
        page = client.get(f"/admin/members/member/{member.pk}/change/")
        assert page.context["can_correct_number"] == (selectors.member_number_correct_refusal(member) is None)
        assert page.context["can_correct_number"] == (number is not None)


# --- evidence of the existing refusals -------------------------------------------------------------------


def test_issue13_refusals_carry_the_evidence_a_fact_shows(society, regular_type):
    member = make_member(society, regular_type, status="active", email="hanako@example.jp")
    apass = link(member)
    assert selectors.email_release_refusal(member, D(2026, 1, 1)).evidence == {"status": "active"}
    unlinked = make_member(society, regular_type, email="taro@example.jp")
    other = APass.objects.create(email="taro@example.jp", password=make_password("x"))
    at = datetime.datetime(2025, 4, 2, 10, 0, tzinfo=datetime.timezone.utc)
    APassUnlink.objects.create(member=unlinked, apass=other, old_email="taro@example.jp", new_email="t@example.jp",
                               actor_label="test", at=at)
    assert selectors.apass_link_refusal(unlinked, other).evidence == {"apass_email": "taro@example.jp",
                                                                       "unlinked_at": at.isoformat()}
    latest = selectors.status_entries(member)[-1]
    assert selectors.status_add_refusal(member, latest, "withdrawn", JOINED).evidence == {
        "latest_status": "active", "latest_date": JOINED.isoformat()}
    assert selectors.status_transition_refusal(member, "active", "applying").evidence == {"from": "active",
                                                                                           "to": "applying"}
    assert apass.pk == member.apass_id
