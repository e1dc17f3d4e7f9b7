"""The people app's navigation entries (see :mod:`chaperone.core.extensions`)."""

from chaperone.core.extensions import NavItem

NAV = [
    NavItem("Pupils", "people:pupil_list", "pupil.view", order=20, current=("people:pupil_list",)),
    NavItem("Staff", "people:staff_list", "staff.view", order=30, current=("people:staff_list",)),
    NavItem("Import", "people:import_start", "people.import", order=50),
    NavItem("Flag changes", "people:flag_changes", "people.confirm_flag_changes", order=55),
    NavItem(
        "Roles to confirm",
        "people:role_confirmations",
        "staff.manage_roles",
        order=70,
        current=("people:role_confirmations",),
    ),
]
