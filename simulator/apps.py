from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulatorConfig(AppConfig):
    name = "simulator"
    verbose_name = _("My Page and training")

    def ready(self):
        from mail import links

        from .audit_labels import register

        register()
        links.register_link_page("sim-mypage-link")  # every mail's link opens on the My Page simulator
