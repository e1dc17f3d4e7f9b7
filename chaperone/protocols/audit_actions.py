"""Audit action names recorded by the protocols app."""

ACTIONS = {
    "protocol.version_uploaded": "A new protocol version was uploaded",
    "protocol.acknowledged": "A member of staff acknowledged a protocol version",
    "protocol.decision_recorded": "A protocol check was saved",
    "protocol.review_reminder_sent": "A protocol review reminder was e-mailed",
}
