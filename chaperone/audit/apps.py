from django.apps import AppConfig, apps


class AuditConfig(AppConfig):
    name = "chaperone.audit"
    label = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chaperone.audit import registry, signals

        registry.collect(apps.get_app_configs())
        signals.connect()
