"""Send again every mail still queued or failed (MAIL-3): each goes back to the sending task."""

from django.core.management.base import BaseCommand

from mail import services
from mail.models import SentMail

ACTOR = "system: send_queued_mail"


class Command(BaseCommand):
    help = "Send again the mails that are queued or failed."

    def add_arguments(self, parser):
        parser.add_argument("--society", help="only this society (学会ID)")

    def handle(self, *args, society=None, **options):
        mails = SentMail.objects.exclude(status=SentMail.Status.SENT).order_by("pk")
        if society:
            mails = mails.filter(society__slug=society)
        count = 0
        for mail in mails.iterator():
            services.mail_retry(actor=ACTOR, mail=mail)
            count += 1
        self.stdout.write(f"{count} mail(s) queued for sending.")
