from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "openmash.intake"
    label = "intake"
