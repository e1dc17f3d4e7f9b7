"""The scheduling app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

_SESSION_PAGES = (
    "scheduling:list",
    "scheduling:plan",
    "scheduling:detail",
    "scheduling:change",
    "scheduling:approval",
    "scheduling:risk",
)

NAV = [
    NavItem("Sessions", "scheduling:list", "session.plan", order=35, current=_SESSION_PAGES),
    NavItem(
        "Timetable",
        "scheduling:timetable",
        "session.timetable",
        order=36,
        current=("scheduling:timetable",),
    ),
]
