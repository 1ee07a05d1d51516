from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from . import actions, audit_labels, facts, facts_operator, identity, triage  # noqa: F401  (register what the flows name)
        from . import facts_faq_members, links  # noqa: F401  (seed 003's member flows; the screens of outcome links)
        from . import facts_faq_billing  # noqa: F401  (seed 003 請求・入金: facts and actions)

        from . import disclosure, panels

        audit_labels.register()
        disclosure.register()
        panels.register()
