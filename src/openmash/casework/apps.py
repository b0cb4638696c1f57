from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "openmash.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        from openmash.casework import relationships

        relationships.register()
