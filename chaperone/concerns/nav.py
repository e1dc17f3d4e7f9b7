"""The concerns app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [
    NavItem(
        "Concerns",
        "concerns:inbox",
        "concern.view",
        order=15,
        current=("concerns:inbox", "concerns:detail"),
    ),
    NavItem("Concerns about staff", "concerns:inbox", "concern.about_staff", order=16),
    NavItem("Concerns about staff", "concerns:inbox", "concern.about_head", order=16),
    NavItem("Concern categories", "concerns:categories", "concern.configure", order=85),
]
