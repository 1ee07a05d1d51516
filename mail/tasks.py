"""Sending an outbox row (MAIL-3): through Django's e-mail backend, in a django-tasks task enqueued after the
caller's transaction commits. A failure is recorded on the row (status failed, the error), never lost."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django_tasks import task

from backoffice import clock

from .models import SentMail

logger = logging.getLogger(__name__)


def message_id(mail: SentMail) -> str:
    """The mail's Message-ID, the same at every attempt: a mail sent again after a worker died between the SMTP
    server's acceptance and the commit of 送信済 (the one window in which a mail can go out twice) carries the same
    Message-ID both times, so a receiving system can tell the second one for a duplicate."""
    from django.core.mail.utils import DNS_NAME

    return f"<sentmail.{mail.pk}.{int(mail.created_at.timestamp())}@{DNS_NAME}>"


def deliver(mail_id: int) -> str:
    """Send one queued or failed mail; returns its status. The row stays locked while sending so that two
    workers never send the same mail twice. 送信済 is written (not committed) before the message goes to the
    backend, and committed right after the backend accepted it; a failure overwrites it with 送信失敗 in the same
    transaction. A worker dying before the commit leaves the mail 送信待ち and its task runs again
    (``backoffice.task_recovery``): the mail goes out at least once, and twice only if the worker died between the
    acceptance and the commit — the commit alone, one round trip, with the same Message-ID (bench/faults.py
    measures it)."""
    with transaction.atomic():
        mail = SentMail.objects.select_for_update().select_related("society").filter(pk=mail_id).first()
        if mail is None or mail.status == SentMail.Status.SENT:
            return mail.status if mail else "missing"
        mail.attempts += 1
        mail.status, mail.error, mail.sent_at = SentMail.Status.SENT, "", clock.now(mail.society)
        fields = ["status", "error", "attempts", "sent_at"]
        mail.save(update_fields=fields)
        try:
            EmailMessage(subject=mail.subject, body=mail.body, from_email=settings.DEFAULT_FROM_EMAIL,
                         to=[mail.to], headers={"Message-ID": message_id(mail)}).send(fail_silently=False)
        except Exception as exc:  # any backend failure: keep the row, say why
            mail.status, mail.sent_at = SentMail.Status.FAILED, None
            mail.error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.save(update_fields=fields)
            logger.warning("mail %s to %s failed: %s", mail.pk, mail.to, type(exc).__name__)
        return mail.status


@task()
def send_mail_task(mail_id: int) -> str:
    return deliver(mail_id)


#: A mail whose sending task failed this many times (never reaching the backend: the database lost each time) is
#: left 送信待ち for ``send_queued_mail`` rather than queued again by every sweep.
MAX_TASKS_PER_MAIL = 5


def resend_orphaned() -> list[int]:
    """A task worker's sweep (``backoffice.task_recovery.register_sweep``): every mail still 送信待ち with no sending
    task queued or running goes back to the queue. That is a mail whose task failed before anything was committed
    — the database server restarted under it —, which would otherwise wait for ``send_queued_mail``. A task more
    than needed is harmless: ``deliver`` sends a mail once (row lock, 送信済 checked first). Returns the mails
    queued again."""
    from django_tasks.backends.database.models import DBTaskResult
    from django_tasks.base import TaskResultStatus

    queued = set(SentMail.objects.filter(status=SentMail.Status.QUEUED).values_list("pk", flat=True))
    if not queued:
        return []
    busy, failures = set(), {}
    for args, status in DBTaskResult.objects.filter(
            task_path=send_mail_task.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING, TaskResultStatus.FAILED]).values_list(
            "args_kwargs__args", "status"):
        mail_id = args[0] if args else None
        if status == TaskResultStatus.FAILED:
            failures[mail_id] = failures.get(mail_id, 0) + 1
        else:
            busy.add(mail_id)
    again = sorted(pk for pk in queued - busy if failures.get(pk, 0) < MAX_TASKS_PER_MAIL)
    for pk in again:
        send_mail_task.enqueue(pk)
    if again:
        logger.warning("%d mail(s) 送信待ち with no sending task: queued again", len(again))
    return again


def enqueue_after_commit(mail_id: int) -> None:
    transaction.on_commit(lambda: send_mail_task.enqueue(mail_id))
