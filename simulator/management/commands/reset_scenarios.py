"""API.md Bootstrapping: ``reset_scenarios --society S`` rebuilds a sandbox society's scenario members (SIM-3) —
the same service as the button [シナリオ再作成] — and prints the scenario list."""

from django.core.management.base import BaseCommand, CommandError

from backoffice.errors import DomainError
from members.models import Society
from simulator import scenarios

ACTOR = "system: reset_scenarios"


class Command(BaseCommand):
    help = "Rebuild a training sandbox society's scenario members and print which member shows what."

    def add_arguments(self, parser):
        parser.add_argument("--society", required=True, help="the society's slug (学会ID)")

    def handle(self, *args, society, **options):
        found = Society.objects.filter(slug=society).first()
        if found is None:
            raise CommandError(f"No society {society!r}.")
        try:
            rows = scenarios.scenarios_reset(actor=ACTOR, society=found)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"Scenarios of {found.slug} rebuilt — which member shows what:"))
        for line in scenario_lines(rows):
            self.stdout.write(line)


def scenario_lines(rows) -> list[str]:
    lines = []
    for row in rows:
        who = f"{row.member.name} <{row.member.email}>" if row.member else f"<{row.email}>" if row.email else "(missing)"
        lines.append(f"  {row.label:<22} {who:<44} {row.shows}")
    return lines
