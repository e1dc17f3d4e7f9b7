"""The site's own navigation entry (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [
    NavItem("Dashboard", "dashboard", action=None, order=10, current=("dashboard",)),
    NavItem("School details", "school_details", "school.manage_details", order=80),
]
