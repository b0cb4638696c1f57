from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PlatformConfig(AppConfig):
    name = "openmash.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from openmash.platform.sqlite_wal import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="openmash.platform.sqlite_wal")


class HubAdminConfig(admin_apps.AdminConfig):
    """The Django admin with ``platform.admin_site.HubAdminSite`` as its default site."""

    default = False
    default_site = "openmash.platform.admin_site.HubAdminSite"
