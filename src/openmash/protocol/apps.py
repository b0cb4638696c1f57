from django.apps import AppConfig


class ProtocolConfig(AppConfig):
    name = "openmash.protocol"
    label = "protocol"
