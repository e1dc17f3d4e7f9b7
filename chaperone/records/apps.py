from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "chaperone.records"
    label = "records"
    verbose_name = "Records and retention"
    default_auto_field = "django.db.models.BigAutoField"
