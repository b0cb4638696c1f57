from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "openmash.casework"
    label = "casework"
    verbose_name = "Casework"
