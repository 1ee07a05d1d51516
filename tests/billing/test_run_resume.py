"""Issue 15 §4: the billing run's task body run again — after its worker died mid-run, or a second time after it
finished — bills nobody twice and leaves nobody out (BIL-1, BIL-11), and says so in the audit trail."""

from __future__ import annotations

import datetime

import pytest

from backoffice.models import AuditEntry
from billing import selectors
from billing.models import BillingRun, BillingRunSkip, Invoice
from billing.services import runs
from billing.tasks import execute_billing_run
from members.factories import create_member_with_history
from members.models import Status
from tests.task_locks import held_by_another_worker

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerDied(BaseException):
    """SIGKILL inside the task body: no ``except Exception`` handler runs, the run stays 作成中."""


def test_issue15_4_run_killed_mid_run_goes_on_from_its_committed_chunks(staff_op, society, regular_type,
                                                                         student_type, monkeypatch):
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
               for _ in range(5)]
    student = create_member_with_history(Status.ACTIVE, society=society, member_type=student_type)
    withdrawn = create_member_with_history(Status.WITHDRAWN, society=society, member_type=regular_type)
    monkeypatch.setattr(runs, "_enqueue_after_commit", lambda run_id: None)  # the test plays the worker
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1),
                                   exclude_member_types=[student_type])
    expected = {m.pk for m in [*members, student, withdrawn] if selectors.billing_run_skip_reason(run, m) is None}
    monkeypatch.setattr(runs, "CHUNK", 3)
    real, calls = runs._bill_chunk, {"n": 0}

    def dies_in_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerDied()
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_bill_chunk", dies_in_the_second_chunk)
    with pytest.raises(WorkerDied):
        execute_billing_run.call(run.pk)
    monkeypatch.setattr(runs, "_bill_chunk", real)
    run.refresh_from_db()
    assert run.state == "running" and run.processed_count == 3
    first = set(Invoice.objects.filter(run=run).values_list("member_id", flat=True))
    assert len(first) == 3

    assert execute_billing_run.call(run.pk) == "done"  # the task put back in the queue runs again
    run.refresh_from_db()
    billed = list(Invoice.objects.filter(run=run).values_list("member_id", flat=True))
    assert sorted(billed) == [m.pk for m in members]  # each once: the first chunk's members were not billed again
    assert set(billed) == expected  # the product's own "would this member be billed", asked before the run
    assert (run.created_count, run.skipped_count, run.processed_count) == (5, 1, run.target_count)
    assert list(BillingRunSkip.objects.filter(run=run).values_list("member_id", "reason")) == [
        (student.pk, "excluded_type")]  # listed once, though the first attempt had listed it already
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]
    assert AuditEntry.objects.filter(action="billing.run.resumed", target_id=str(run.pk)).count() == 1
    assert AuditEntry.objects.filter(action="billing.run.completed", target_id=str(run.pk)).count() == 1


def test_issue15_4_running_a_finished_runs_task_again_makes_no_second_invoice(staff_op, society, regular_type,
                                                                              monkeypatch):
    for _ in range(3):
        create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    monkeypatch.setattr(runs, "_enqueue_after_commit", lambda run_id: None)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    assert execute_billing_run.call(run.pk) == "done"
    # the worker died after the run's last commit but before django-tasks recorded the result: the task runs again
    assert execute_billing_run.call(run.pk) == "done"
    assert Invoice.objects.filter(run=run).count() == 3
    assert BillingRun.objects.get(pk=run.pk).created_count == 3
    assert not AuditEntry.objects.filter(action="billing.run.resumed").exists()


def test_issue15_4_a_run_its_live_worker_is_executing_is_not_executed_a_second_time(staff_op, society, regular_type,
                                                                                   monkeypatch):
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    monkeypatch.setattr(runs, "_enqueue_after_commit", lambda run_id: None)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    BillingRun.objects.filter(pk=run.pk).update(state="running")
    with held_by_another_worker(runs.run_lock_name(run.pk)):  # another worker's (its own connection or file)
        assert execute_billing_run.call(run.pk) == "running"  # left to it: no resume, no invoice
        assert not Invoice.objects.filter(run=run).exists()
    assert execute_billing_run.call(run.pk) == "done"  # its worker gone (the lock with it): resumed
    assert Invoice.objects.filter(run=run).count() == 1


def test_issue15_4_a_lost_database_connection_leaves_the_run_for_the_workers_to_resume(staff_op, society,
                                                                                        regular_type, monkeypatch):
    """A PostgreSQL restart under a run is not the run's failure: it stays 作成中 (not 失敗, which would wait for an
    operator's 再実行), the workers' sweep queues it again, and it resumes with every member billed once."""
    import psycopg
    from django.db import OperationalError

    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
               for _ in range(4)]
    monkeypatch.setattr(runs, "_enqueue_after_commit", lambda run_id: None)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    monkeypatch.setattr(runs, "CHUNK", 2)
    real, calls = runs._bill_chunk, {"n": 0}

    def server_restarts_in_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            message = "terminating connection due to administrator command"
            raise OperationalError(message) from psycopg.errors.AdminShutdown(message)
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_bill_chunk", server_restarts_in_the_second_chunk)
    with pytest.raises(OperationalError):
        execute_billing_run.call(run.pk)
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.state == "running" and run.error == ""
    assert not AuditEntry.objects.filter(action="billing.run.failed").exists()
    # the sweep queues it (the tests' immediate task backend runs it at once)
    assert runs.billing_runs_resume_orphaned() == [run.pk]
    run.refresh_from_db()
    assert run.state == "done" and run.created_count == 4
    assert sorted(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == [m.pk for m in members]


def test_issue15_4_a_statements_own_database_error_still_fails_the_run(staff_op, society, regular_type,
                                                                       monkeypatch):
    import psycopg
    from django.db import OperationalError

    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    monkeypatch.setattr(runs, "_enqueue_after_commit", lambda run_id: None)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))

    def times_out(*args, **kwargs):
        message = "canceling statement due to statement timeout"
        raise OperationalError(message) from psycopg.errors.QueryCanceled(message)

    monkeypatch.setattr(runs, "_bill_chunk", times_out)
    assert execute_billing_run.call(run.pk) == "failed"  # 失敗, for an operator's 再実行, as before
    assert "statement timeout" in BillingRun.objects.get(pk=run.pk).error
