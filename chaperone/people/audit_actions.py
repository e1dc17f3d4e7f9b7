"""Audit action names recorded by the people app."""

ACTIONS = {
    "people.pupils_imported": "Pupils imported from a CSV file",
    "people.staff_imported": "Staff imported from a CSV file",
    "people.households_imported": "Households and contacts imported from a CSV file",
    "people.flag_changes_confirmed": "A DSL confirmed flag changes an import asked for",
    "people.flag_changes_rejected": "A DSL rejected flag changes an import asked for",
    "people.flag_changes_viewed": "Someone opened the list of flag changes waiting for the DSL",
    "staff.code_of_conduct_acknowledged": "A staff member acknowledged the staff code of conduct",
    "staff.role_granted": "A role was granted to a staff member",
    "staff.role_confirmed": "A granted role was confirmed by a second person",
    "staff.role_removed": "A role was taken away from a staff member",
    "account.invited": "A staff member was invited to set up a login",
    "account.invite_accepted": "An invited staff member chose their password",
    "account.deactivated": "A staff member's login was deactivated",
    "account.reactivated": "A staff member's login was reactivated",
    "account.two_factor_reset": "A staff member's second sign-in step was reset",
    "account.unlocked": "A locked login was unlocked",
    "account.backup_codes_created": "New backup codes were made for the second sign-in step",
    "account.password_changed": "A password was changed",
    "account.sessions_ended": "Signed-in sessions were signed out",
}
