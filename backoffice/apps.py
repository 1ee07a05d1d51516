from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    default = True
    name = "backoffice"
    verbose_name = _("Back office core")


class SecretariatAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the secretariat's site (``backoffice.adminsite``): the stock app index pages lead to
    the first page (事務局メニュー)."""

    default = False  # named in INSTALLED_APPS; "backoffice" itself is BackofficeConfig
    default_site = "backoffice.adminsite.SecretariatAdminSite"
