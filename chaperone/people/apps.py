from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "chaperone.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chaperone.people import signals

        signals.connect()
