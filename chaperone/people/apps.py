from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "chaperone.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chaperone.audit.anchors import register_anchor_recipients
        from chaperone.people import signals
        from chaperone.people.selectors import dsl_emails_of_trust

        signals.connect()
        register_anchor_recipients(dsl_emails_of_trust)
