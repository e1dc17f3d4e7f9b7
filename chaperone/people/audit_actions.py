"""Audit action names recorded by the people app."""

ACTIONS = {
    "people.pupils_imported": "Pupils imported from a CSV file",
    "people.staff_imported": "Staff imported from a CSV file",
    "people.households_imported": "Households and contacts imported from a CSV file",
    "staff.code_of_conduct_acknowledged": "A staff member acknowledged the staff code of conduct",
}
