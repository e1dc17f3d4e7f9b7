"""The scheduling app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

_SESSION_PAGES = (
    "scheduling:list",
    "scheduling:plan",
    "scheduling:detail",
    "scheduling:change",
    "scheduling:approval",
    "scheduling:risk",
    # running the call and its log (issue #9, part 7-8)
    "scheduling:run",
    "scheduling:log",
    "scheduling:my_log",
    "scheduling:team",
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
    # the school's register of sessions (issue #9, part 8)
    NavItem(
        "Register",
        "scheduling:register",
        "session.view",
        order=37,
        current=("scheduling:register",),
    ),
]
