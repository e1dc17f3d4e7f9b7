"""The protocols app's navigation entry (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [NavItem("Protocol", "protocols:current", "protocol.view", order=40, current=("protocols:",))]
