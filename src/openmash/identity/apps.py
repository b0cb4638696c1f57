from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "openmash.identity"
    label = "identity"
