from django.core.management.base import BaseCommand, CommandError

from backoffice.errors import DomainError
from members import services


class Command(BaseCommand):
    help = "Create a society (SOC-1)."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--sandbox", action="store_true", help="a training sandbox (simulation clock, scenarios)")

    def handle(self, *args, slug, name, sandbox, **options):
        try:
            society = services.society_create(actor="system: create_society", slug=slug, name=name, sandbox=sandbox)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created society {society.slug} (id {society.pk}){' [sandbox]' if sandbox else ''}")
