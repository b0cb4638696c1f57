from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PlatformConfig(AppConfig):
    name = "openmash.platform"
    label = "platform"
    verbose_name = "Platform"


class HubAdminConfig(admin_apps.AdminConfig):
    """The Django admin with ``platform.admin_site.HubAdminSite`` as its default site."""

    default = False
    default_site = "openmash.platform.admin_site.HubAdminSite"
