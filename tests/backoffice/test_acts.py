"""Issue 13 §0 "Acts" (DESIGN.md 5c): several services called for one business act share one audit batch and
its label; a dry run runs services in a transaction, reports what the audit would record and rolls back —
nothing changed, no entry kept, no mail queued."""

from __future__ import annotations

import datetime

import pytest

from backoffice import audit, clock
from backoffice.errors import DomainError
from backoffice.models import AuditEntry
from backoffice.services import dry_run
from mail.models import SentMail
from members import services
from members.factories import create_member_with_history
from members.models import APass, Member, MemberStatus, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawn(society, regular_type):
    today = clock.today(society)
    return create_member_with_history(Status.WITHDRAWN, applied_on=today - datetime.timedelta(days=800),
                                      society=society, member_type=regular_type, email="taro@example.jp")


def test_act_two_services_write_two_entries_with_one_batch_and_the_label(withdrawn, staff_op, society):
    today = clock.today(society)
    with audit.audit_act("support case 1: set_status_applying") as act:
        services.member_status_add(actor=staff_op, member=withdrawn, status=Status.APPLYING, effective_date=today)
        services.member_update(actor=staff_op, member=withdrawn, affiliation="東京大学")
    entries = list(AuditEntry.objects.filter(batch_id=act.batch_id).order_by("id"))
    assert [e.action for e in entries] == ["members.member.status_added", "members.member.updated"]
    assert {e.act_label for e in entries} == {"support case 1: set_status_applying"}
    # outside the act, entries are on their own again
    services.member_update(actor=staff_op, member=withdrawn, affiliation="京都大学")
    last = AuditEntry.objects.order_by("-id").first()
    assert last.batch_id is None and last.act_label == ""


def test_act_a_bulk_service_inside_an_act_joins_its_batch(withdrawn, staff_op, society, regular_type):
    other = create_member_with_history(Status.WITHDRAWN, applied_on=clock.today(society) - datetime.timedelta(days=800),
                                       society=society, member_type=regular_type, email="hanako@example.jp")
    with audit.audit_act("lapse") as act, audit.audit_act("inner joins the outer") as inner:
        services.member_status_bulk_update(actor=staff_op, society=society, member_ids=[withdrawn.pk, other.pk],
                                           status=Status.APPLYING, effective_date=clock.today(society))
    assert inner == act
    assert AuditEntry.objects.filter(batch_id=act.batch_id, act_label="lapse").count() == 2


def test_dry_run_of_member_status_add_changes_nothing_and_returns_its_audit_changes(withdrawn, staff_op, society):
    today = clock.today(society)
    entries_before = AuditEntry.objects.count()
    statuses_before = list(MemberStatus.objects.filter(member=withdrawn).values_list("status", "effective_date"))
    run = dry_run(lambda: services.member_status_add(actor=staff_op, member=withdrawn, status=Status.APPLYING,
                                                     effective_date=today), label="preview")
    assert run.ok and run.error is None
    assert [(c.action, c.target_type, c.target_id) for c in run.changes] == [
        ("members.member.status_added", "members.member", str(withdrawn.pk))]
    assert run.changes[0].before["status"] == Status.WITHDRAWN
    assert run.changes[0].after == {"status": Status.APPLYING, "effective_date": today, "note": ""}
    assert AuditEntry.objects.count() == entries_before
    assert list(MemberStatus.objects.filter(member=withdrawn).values_list("status", "effective_date")) == statuses_before


def test_dry_run_returns_the_refusal_instead_of_raising(withdrawn, staff_op, society):
    latest = MemberStatus.objects.filter(member=withdrawn).order_by("-effective_date").first()
    run = dry_run(lambda: services.member_status_add(actor=staff_op, member=withdrawn, status=Status.APPLYING,
                                                     effective_date=latest.effective_date))
    assert not run.ok and isinstance(run.error, DomainError)
    assert run.error.code == "status_same_day"
    assert run.changes == []


def test_dry_run_queues_no_mail(society, staff_op, regular_type, django_capture_on_commit_callbacks):
    """apass_unlink writes the unlink notice to the outbox: rolled back, no row stays and nothing is sent."""
    member = create_member_with_history(Status.ACTIVE, applied_on=clock.today(society) - datetime.timedelta(days=30),
                                        society=society, member_type=regular_type, email="linked@example.jp")
    apass = APass.objects.create(email="linked@example.jp", password="!")
    Member.objects.filter(pk=member.pk).update(apass=apass)
    member.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = dry_run(lambda: services.apass_unlink(actor=staff_op, member=member, new_email="new@example.jp"))
    assert run.ok
    assert [c.action for c in run.changes] == ["members.member.apass_unlinked", "mail.sent_mail.queued"]
    assert callbacks == []
    assert not SentMail.objects.exists()
    member.refresh_from_db()
    assert member.apass_id == apass.pk and member.email == "linked@example.jp"
