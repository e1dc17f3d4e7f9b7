"""Audit action names recorded by the people app."""

ACTIONS = {
    "people.pupils_imported": "Pupils imported from a CSV file",
    "people.staff_imported": "Staff imported from a CSV file",
    "people.households_imported": "Households and contacts imported from a CSV file",
    "people.flag_changes_confirmed": "A DSL confirmed flag changes an import asked for",
    "people.flag_changes_rejected": "A DSL rejected flag changes an import asked for",
    "people.flag_changes_viewed": "Someone opened the list of flag changes waiting for the DSL",
    "staff.code_of_conduct_acknowledged": "A staff member acknowledged the staff code of conduct",
}
