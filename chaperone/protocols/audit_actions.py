"""Audit action names recorded by the protocols app."""

ACTIONS = {
    "protocol.version_uploaded": "A new protocol version was uploaded",
    "protocol.trust_version_applied": "A trust protocol version was stored for this school",
    "protocol.additions_confirmed": (
        "A school confirmed it follows the trust's version with the additions that still fit"
    ),
    "protocol.out_of_step_notice_sent": "Heads and DSLs were told their additions no longer fit",
    "protocol.acknowledged": "A member of staff acknowledged a protocol version",
    "protocol.acknowledgement_reminder_requested": "A reminder to read the protocol was requested",
    "protocol.acknowledgement_reminder_sent": "Staff were reminded to read the protocol",
    "protocol.decision_recorded": "A protocol check was saved",
    "protocol.review_reminder_sent": "A protocol review reminder was e-mailed",
}
