from django.core.management.base import BaseCommand, CommandError

from backoffice.errors import DomainError
from members import services
from members.models import Operator, Society


class Command(BaseCommand):
    help = "Create an operator account of a society (SOC-3)."

    def add_arguments(self, parser):
        parser.add_argument("--society", required=True, help="society slug")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Operator.Role.values)
        parser.add_argument("--name", default="")

    def handle(self, *args, society, email, password, role, name, **options):
        try:
            soc = Society.objects.get(slug=society)
        except Society.DoesNotExist:
            raise CommandError(f"unknown society: {society}") from None
        try:
            operator = services.operator_create(
                actor="system: create_operator", society=soc, email=email, password=password, role=role, name=name
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created operator {operator.email} ({operator.role}) in {soc.slug}")
