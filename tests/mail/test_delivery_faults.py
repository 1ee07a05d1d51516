"""Issue 15 §4 / MAIL-3: the sending task run twice sends the mail once; a worker that died between the backend's
acceptance and the commit of 送信済 — the one window left, over SMTP it cannot be closed — sends it again with the
same Message-ID, so that the receiving side can tell the copy for one."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail

from mail import services, tasks
from mail.models import SentMail

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerDied(BaseException):
    pass


def queued(staff_op, society, monkeypatch):
    monkeypatch.setattr(services, "enqueue_after_commit", lambda mail_id: None)  # the test plays the worker
    return services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s",
                              body="b")


def test_issue15_4_the_sending_task_run_twice_sends_one_mail(staff_op, society, monkeypatch):
    mail = queued(staff_op, society, monkeypatch)
    assert tasks.send_mail_task.call(mail.pk) == "sent"
    assert tasks.send_mail_task.call(mail.pk) == "sent"
    assert len(django_mail.outbox) == 1
    assert SentMail.objects.get(pk=mail.pk).attempts == 1


def test_issue15_4_a_worker_dying_after_the_send_sends_again_with_the_same_message_id(staff_op, society,
                                                                                      monkeypatch):
    mail = queued(staff_op, society, monkeypatch)
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def accepted_then_died(self, *args, **kwargs):
        real_send(self, *args, **kwargs)  # the server has the message …
        raise WorkerDied()  # … and the worker dies before 送信済 commits

    monkeypatch.setattr(EmailMessage, "send", accepted_then_died)
    with pytest.raises(WorkerDied):
        tasks.deliver(mail.pk)
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert SentMail.objects.get(pk=mail.pk).status == "queued"  # nothing committed: the task is run again
    assert tasks.deliver(mail.pk) == "sent"
    first, second = django_mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"] == tasks.message_id(mail)
    assert first.message()["Message-ID"] == tasks.message_id(mail)
    assert tasks.message_id(mail).startswith(f"<sentmail.{mail.pk}.")


def test_mail3_a_failed_send_is_not_left_marked_sent(staff_op, society, monkeypatch):
    """送信済 is written before the send (so that only the commit is left after it): a refused send overwrites it."""
    mail = queued(staff_op, society, monkeypatch)
    monkeypatch.setattr("django.core.mail.EmailMessage.send", lambda self, **kw: (_ for _ in ()).throw(
        ConnectionRefusedError("smtp down")))
    assert tasks.deliver(mail.pk) == "failed"
    mail.refresh_from_db()
    assert (mail.status, mail.sent_at, mail.attempts) == ("failed", None, 1) and "smtp down" in mail.error


def test_issue15_4_a_mail_whose_task_failed_before_sending_is_queued_again_by_the_sweep(settings, staff_op, society):
    """The database server restarted under the sending task: nothing committed, the task recorded failed, the mail
    still 送信待ち. The workers' sweep queues it again (once while its task waits); the mail goes out once."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.database.DatabaseBackend"}}
    mail = services.mail_send(actor=staff_op, society=society, kind="other", to="a@example.jp", subject="s",
                              body="b")
    assert tasks.resend_orphaned() == []  # its task is queued
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    assert tasks.resend_orphaned() == [mail.pk]
    assert tasks.resend_orphaned() == []  # queued again already
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    for _ in range(tasks.MAX_TASKS_PER_MAIL):
        DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
        tasks.resend_orphaned()
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED)
    assert tasks.resend_orphaned() == []  # failed five times: left for send_queued_mail
    assert tasks.deliver(mail.pk) == "sent" and tasks.deliver(mail.pk) == "sent"
    assert len(django_mail.outbox) == 1
