from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The top floor: dashboard, sign-in and accounts, navigation, request middleware, demo."""

    name = "chaperone.site"
    label = "site"
    default_auto_field = "django.db.models.BigAutoField"
