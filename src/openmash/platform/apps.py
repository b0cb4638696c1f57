from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "openmash.platform"
    label = "platform"
    verbose_name = "Platform"
