from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from . import actions, audit_labels, facts  # noqa: F401  (register the facts and actions flows name)

        audit_labels.register()
        post_migrate.connect(_publish_shipped_flows, sender=self)


def _publish_shipped_flows(sender, using="default", **kwargs):
    """Every migrate stores each shipped definition whose content is new as a FlowVersion."""
    from .services import flows_publish

    flows_publish(actor="system: migrate")
