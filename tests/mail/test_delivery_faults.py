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
    real_save = SentMail.save

    def dies_before_the_commit(self, *args, **kwargs):
        raise WorkerDied()

    monkeypatch.setattr(SentMail, "save", dies_before_the_commit)
    with pytest.raises(WorkerDied):
        tasks.deliver(mail.pk)
    monkeypatch.setattr(SentMail, "save", real_save)
    assert SentMail.objects.get(pk=mail.pk).status == "queued"  # nothing committed: the task is run again
    assert tasks.deliver(mail.pk) == "sent"
    first, second = django_mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"] == tasks.message_id(mail)
    assert first.message()["Message-ID"] == tasks.message_id(mail)
    assert tasks.message_id(mail).startswith(f"<sentmail.{mail.pk}.")
