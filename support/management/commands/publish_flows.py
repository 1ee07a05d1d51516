from django.core.management.base import BaseCommand

from support.services import flows_publish


class Command(BaseCommand):
    help = "Store each shipped support flow definition whose version is new as a published FlowVersion."

    def handle(self, *args, **options):
        for version in flows_publish(actor="system: publish_flows"):
            self.stdout.write(f"published {version.flow} v{version.version} ({version.content_hash[:12]})")
