"""The audit app's navigation entry (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [NavItem("Audit log", "audit:event_list", "audit.view", order=60)]
