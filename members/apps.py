from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from . import audit_labels
        from .services import applications, mypage, operator_password

        audit_labels.register()
        applications.register()  # the mail links members/ owns: what following them does (mail.links)
        mypage.register()
        operator_password.register()  # the operator's reset link: a secret no screen shows
