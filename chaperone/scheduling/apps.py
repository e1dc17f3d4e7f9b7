from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "chaperone.scheduling"
    label = "scheduling"
    verbose_name = "Sessions"
    default_auto_field = "django.db.models.BigAutoField"
