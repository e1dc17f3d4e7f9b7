from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "chaperone.tenancy"
    label = "tenancy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chaperone.tenancy import checks  # noqa: F401 (registers the system check)
