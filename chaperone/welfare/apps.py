from django.apps import AppConfig


class WelfareConfig(AppConfig):
    name = "chaperone.welfare"
    label = "welfare"
    verbose_name = "Welfare calls"
    default_auto_field = "django.db.models.BigAutoField"
