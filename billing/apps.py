from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from . import audit_labels, disclosure

        from backoffice import task_recovery

        from .services.runs import billing_runs_resume_orphaned

        audit_labels.register()
        task_recovery.register_sweep(billing_runs_resume_orphaned)
        disclosure.register()
