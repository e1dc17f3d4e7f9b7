"""The concerns app's button in every page's header: raise a concern from anywhere."""

from chaperone.core.extensions import NavItem

ACTIONS = [NavItem("Raise a concern", "concerns:raise", "concern.raise", order=10)]
