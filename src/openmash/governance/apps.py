from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "openmash.governance"
    label = "governance"
    verbose_name = "Information governance"

    def ready(self) -> None:
        from openmash.governance import navigation, relationships

        relationships.register()
        navigation.register()
