"""Audit action names recorded by the concerns app."""

ACTIONS = {
    "concern.raised": "A safeguarding concern was raised",
    "concern.alert_sent": "The safeguarding team was emailed about a new concern",
}
