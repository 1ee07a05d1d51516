from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "mail"
    verbose_name = _("Mail")

    def ready(self):
        from backoffice import task_recovery

        from . import audit_labels, tasks

        audit_labels.register()
        task_recovery.register_sweep(tasks.resend_orphaned)
