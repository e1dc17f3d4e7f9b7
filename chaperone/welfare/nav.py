"""The welfare app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [
    NavItem(
        "Welfare calls",
        "welfare:sheet",
        "welfare.call",
        order=42,
        current=("welfare:sheet", "welfare:record"),
    ),
    NavItem(
        "Welfare rota",
        "welfare:coverage",
        "welfare.view",
        order=43,
        current=(
            "welfare:coverage",
            "welfare:tiers",
            "welfare:tier_change",
            "welfare:households",
            "welfare:preferences",
            "welfare:preferences_import",
            "welfare:callers",
            "welfare:availability",
            "welfare:rotas",
            "welfare:rota",
            "welfare:escalations",
            "welfare:escalation",
            "welfare:ladder",
        ),
    ),
]
