"""Issue 15 §4 "Faults survived": a task whose worker died (SIGKILL, a lost machine) goes back to the queue and the
next worker finishes it — its billing run bills every member once, its mail is sent once (bench/faults.py measures
the same with real processes). A task still held by a live worker, or claimed an instant ago, is left alone."""

from __future__ import annotations

import datetime
import signal
import threading

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks.backends.database.models import DBTaskResult, get_date_max
from django_tasks.base import TaskResultStatus

from backoffice import task_recovery
from backoffice.management.commands.task_worker import RecoveringWorker
from billing.models import BillingRun, Invoice
from billing.services import runs
from mail.models import SentMail
from members.factories import create_member_with_history
from members.models import Status
from tests.task_locks import held_by_another_worker

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerDied(BaseException):
    """What SIGKILL does to a task body: it stops where it is, no ``except Exception`` runs."""


def running_task(task_path="mail.tasks.send_mail_task", args=(1,), claimed_ago=60, workers=("dead-worker",)):
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - datetime.timedelta(seconds=claimed_ago),
        args_kwargs={"args": list(args), "kwargs": {}}, task_path=task_path, backend_name="default",
        run_after=get_date_max(), worker_ids=list(workers))


def status_of(task) -> str:
    return DBTaskResult.objects.get(pk=task.pk).status


def test_issue15_4_a_task_whose_worker_died_goes_back_to_the_queue():
    task = running_task()
    assert task_recovery.recover_orphaned_tasks() == [task.pk]
    assert status_of(task) == TaskResultStatus.READY


def test_issue15_4_a_task_a_live_worker_holds_is_left_running():
    task = running_task()
    name = task_recovery.task_lock_name(task.pk)
    task_recovery.hold(name)  # the lock a worker takes for the task's duration (another connection / file)
    try:
        assert task_recovery.recover_orphaned_tasks() == []
        assert status_of(task) == TaskResultStatus.RUNNING
    finally:
        task_recovery.release(name)
    assert task_recovery.recover_orphaned_tasks() == [task.pk]  # released without finishing: the worker is gone


def test_issue15_4_a_task_claimed_an_instant_ago_is_left_to_its_worker():
    task = running_task(claimed_ago=0)
    assert task_recovery.recover_orphaned_tasks() == []
    assert status_of(task) == TaskResultStatus.RUNNING


def test_issue15_4_a_task_that_killed_its_worker_five_times_is_given_up():
    task = running_task(workers=[f"w{i}" for i in range(task_recovery.MAX_ATTEMPTS)])
    assert task_recovery.recover_orphaned_tasks() == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED and "WorkerLost" in task.exception_class_path


def run_worker_once():
    def work():
        try:
            RecoveringWorker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                             max_tasks=None, worker_id="next-worker").run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()


def test_issue15_4_a_billing_run_whose_worker_died_is_finished_by_the_next_worker_once_per_member(
        settings, staff_op, society, regular_type, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    members = [create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
               for _ in range(5)]
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("dead-worker")  # the first worker claims it …
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=1))
    monkeypatch.setattr(runs, "CHUNK", 2)
    real, calls = runs._bill_chunk, {"n": 0}

    def dies_in_the_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise WorkerDied()
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "_bill_chunk", dies_in_the_second_chunk)
    with pytest.raises(WorkerDied):  # … and is killed after its first chunk committed
        runs.billing_run_execute(actor=f"system: billing run {run.pk}", run_id=run.pk)
    monkeypatch.setattr(runs, "_bill_chunk", real)
    run.refresh_from_db()
    assert run.state == "running" and Invoice.objects.filter(run=run).count() == 2

    run_worker_once()  # nothing to take: the task is RUNNING (this is where the run used to stay 作成中 for ever)
    assert BillingRun.objects.get(pk=run.pk).state == "running"
    assert task_recovery.recover_orphaned_tasks() == [task.pk]
    run_worker_once()
    run.refresh_from_db()
    assert run.state == "done" and run.created_count == 5
    assert sorted(Invoice.objects.filter(run=run).values_list("member_id", flat=True)) == [m.pk for m in members]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]  # BIL-11: no gap, no repeat
    assert status_of(task) == TaskResultStatus.SUCCEEDED
    assert DBTaskResult.objects.get(pk=task.pk).worker_ids == ["dead-worker", "next-worker"]


def test_issue15_4_a_mail_whose_worker_died_before_sending_is_sent_once_by_the_next_worker(
        settings, staff_op, society, mailoutbox):
    from mail import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    mail = services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s",
                              body="b")
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("dead-worker")  # claimed, then the worker died before the backend accepted the message
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=1))
    assert task_recovery.recover_orphaned_tasks() == [task.pk]
    run_worker_once()
    assert SentMail.objects.get(pk=mail.pk).status == "sent"
    assert [m.to for m in mailoutbox] == [["a@example.jp"]]
    assert status_of(task) == TaskResultStatus.SUCCEEDED


def test_issue15_4_a_run_left_running_by_a_task_that_ended_is_queued_again_by_the_sweep(
        settings, staff_op, society, regular_type, monkeypatch):
    """The worker's connection lost mid-run (PostgreSQL restarted): marking the run 失敗 failed too, the task was
    recorded failed, the run stayed 作成中 with nobody at it. The sweep queues it again, once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    BillingRun.objects.filter(pk=run.pk).update(state="running")
    with held_by_another_worker(runs.run_lock_name(run.pk)):
        assert task_recovery.sweep() == [] and runs.billing_runs_resume_orphaned() == []  # its executor lives
    assert runs.billing_runs_resume_orphaned() == [run.pk]
    assert runs.billing_runs_resume_orphaned() == []  # queued already
    run_worker_once()
    run.refresh_from_db()
    assert run.state == "done" and Invoice.objects.filter(run=run).count() == 1


def test_issue15_4_the_worker_loop_survives_a_database_error(settings, staff_op, society, mailoutbox, monkeypatch):
    """A PostgreSQL restart breaks the worker's connection: the loop starts again instead of ending the process
    (``make serve`` has no supervisor to start a worker again)."""
    from django.db import OperationalError
    from django_tasks.backends.database.management.commands.db_worker import Worker

    from backoffice.management.commands import task_worker
    from mail import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s", body="b")
    real, calls = Worker.run, {"n": 0}

    def restarting_server(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(self)

    monkeypatch.setattr(Worker, "run", restarting_server)
    monkeypatch.setattr(task_worker, "RESTART_DELAY", 0)
    run_worker_once()
    assert calls["n"] == 2 and [m.to for m in mailoutbox] == [["a@example.jp"]]


def test_issue15_4_manage_py_task_worker_sweeps_then_runs_the_queue(settings, staff_op, society, mailoutbox):
    from django.core.management import call_command

    from mail import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    mail = services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s",
                              body="b")
    task = DBTaskResult.objects.get()
    task.claim("dead-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=1))
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:  # the sweep at start puts the dead worker's task back; the batch then sends the mail and ends
        call_command("task_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert SentMail.objects.get(pk=mail.pk).status == "sent" and len(mailoutbox) == 1
    assert status_of(task) == TaskResultStatus.SUCCEEDED


def test_issue15_4_a_run_interrupted_again_and_again_is_failed_for_an_operators_retry(
        settings, staff_op, society, regular_type):
    """A run 作成中 whose executions all ended without ending it (a connection that keeps dropping, a task that kills
    its worker and was given up) is not queued for ever: after runs.MAX_RUN_EXECUTIONS it is 失敗 with the reason,
    audited, and [再実行] is open to it."""
    from backoffice.models import AuditEntry
    from billing import selectors
    from billing.tasks import execute_billing_run

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    create_member_with_history(Status.ACTIVE, society=society, member_type=regular_type)
    run = runs.billing_run_request(actor=staff_op, society=society, name="2026年度 年会費", category="annual",
                                   fiscal_year=2026, allocation_start=datetime.date(2026, 4, 1))
    BillingRun.objects.filter(pk=run.pk).update(state="running")
    for _ in range(runs.MAX_RUN_EXECUTIONS - 2):
        execute_billing_run.enqueue(run.pk)
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    assert runs.billing_runs_resume_orphaned() == [run.pk]  # the tenth execution is still tried
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    assert runs.billing_runs_resume_orphaned() == []  # and then no more
    run.refresh_from_db()
    assert run.state == "failed" and "10" in run.error and "再実行" in run.error
    assert AuditEntry.objects.filter(action="billing.run.failed", target_id=str(run.pk)).count() == 1
    assert selectors.billing_run_retry_refusal(run) is None
    assert not Invoice.objects.filter(run=run).exists()
