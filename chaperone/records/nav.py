"""The records app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [
    NavItem(
        "My recordings",
        "records:mine",
        "session.plan",
        order=37,
        current=("records:mine",),
    ),
    NavItem(
        "Recordings",
        "records:register",
        "recording.list",
        order=38,
        current=("records:register", "records:detail", "records:add", "records:access_log"),
    ),
    NavItem(
        "Retention",
        "records:schedule",
        "records.schedule",
        order=39,
        current=("records:schedule", "records:holds", "records:log_hold"),
    ),
    NavItem(
        "Subject access",
        "records:sar_list",
        "records.sar",
        order=40,
        current=("records:sar_list", "records:sar_detail"),
    ),
]
