from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "chaperone.concerns"
    label = "concerns"
    verbose_name = "Safeguarding concerns"
    default_auto_field = "django.db.models.BigAutoField"
