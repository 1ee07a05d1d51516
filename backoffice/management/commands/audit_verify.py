"""``manage.py audit_verify [--society SLUG]``: check that the audit trail is unbroken (SEC-1, SEC-5).

Walks each society's chain in order, recomputing every entry's hash; prints the first broken entry of each
broken chain (its id, position and why) and exits with status 1, or prints how many entries it checked."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backoffice import audit_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and name the first broken entry of each society's chain."

    def add_arguments(self, parser):
        parser.add_argument("--society", help="the society's slug (学会ID); every chain when omitted")

    def handle(self, *args, society=None, **options):
        society_ids = None
        if society:
            Society = apps.get_model(settings.SOCIETY_MODEL)
            found = Society.objects.filter(slug=society).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No society with the slug {society!r}.")
            society_ids = [found]
        report = audit_chain.verify(society_ids=society_ids)
        if not report.ok:
            for broken in report.breaks:
                self.stderr.write(f"BROKEN {broken}")
            first = report.breaks[0]
            raise CommandError(
                f"The audit trail is broken in {len(report.breaks)} of {report.chains} chain(s); first broken "
                f"entry: #{first.entry_id if first.entry_id is not None else '-'} ({first.reason}).",
                returncode=1,
            )
        self.stdout.write(f"OK: {report.entries} audit entries in {report.chains} chain(s), unbroken.")
