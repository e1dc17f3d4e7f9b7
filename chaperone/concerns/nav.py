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

# the DSL's dashboard and the child protection files in and out (issue #10, items 7 and 8)
NAV += [
    NavItem(
        "Safeguarding dashboard",
        "concerns:dashboard",
        "concern.reports",
        order=17,
        current=("concerns:dashboard", "concerns:report_list", "concerns:governors_report"),
    ),
]
