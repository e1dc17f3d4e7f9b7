from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "chaperone.protocols"
    label = "protocols"
    default_auto_field = "django.db.models.BigAutoField"
