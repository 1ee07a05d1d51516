from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from . import actions, audit_labels, facts, identity, triage  # noqa: F401  (register what the flows name)

        from . import disclosure, panels

        audit_labels.register()
        disclosure.register()
        panels.register()
