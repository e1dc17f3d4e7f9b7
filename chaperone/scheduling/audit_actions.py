"""Audit action names recorded by the scheduling app."""

ACTIONS = {
    "session.planned": "A session was planned",
    "session.changed": "A planned session was changed",
    "session.cancelled": "A session was cancelled",
    "session.approved": "A senior leader approved a session",
    "session.approval_refused": "A senior leader refused a session",
    "session.risk_assessed": "A risk assessment was written for a session",
    "session.step_completed": "A step on a session's checklist was completed",
    "session.steps_reopened": "A change sent a session back through its steps",
    "session.viewed": "A session was looked at",
    "session.timetable_viewed": "The school's timetable of sessions was looked at",
    # anomaly flags (issue #9 part 5)
    "session.anomaly_settings_changed": "The thresholds of the timetable's flags were changed",
    # invitations and calendars
    "session.series_planned": "A weekly series of sessions was planned",
    "session.invitations_sent": "Calendar invitations, updates or cancellations were emailed",
    "session.reminder_sent": "A reminder about a session was emailed",
    "session.feed_created": "A secret calendar feed address was made",
    "session.feed_revoked": "A calendar feed address was revoked",
    "session.feed_read": "A calendar feed of sessions was read",
    # sessions (parents): consent through signed links
    "session.consent_requested": "A parent or carer was emailed their consent link",
    "session.consent_given": "A parent or carer gave consent through their link",
    "session.consent_refused": "A parent or carer refused consent through their link",
    "session.consent_revoked": "A parent or carer withdrew consent through their link",
    "session.consent_implied": "Staff recorded implied consent where the protocol accepts it",
    "session.parent_viewed": "A parent or carer opened their link about a session",
    # running the call and its log (issue #9, part 7-8)
    "session.started": "The host opened a call after its start-of-call checklist",
    "session.ended": "A call was ended for everyone",
    "session.ended_and_reported": "A call was ended and a safeguarding concern raised",
    "session.dsl_notified": "The DSL was told of a call that ended, as the protocol asks",
    "session.logged": "The host wrote the log of a call",
    "session.log_amended": "Something was added to the log of a call",
    "session.register_viewed": "The school's register of sessions was looked at",
    "session.register_exported": "The school's register of sessions was downloaded",
    "session.team_viewed": "A line manager looked at their staff's sessions",
    # the meeting on the platform (meetings.py)
    "session.meeting_created": "The session's meeting was made on its platform",
    "session.meeting_failed": "The platform refused or could not be reached about a meeting",
    "session.meeting_updated": "The session's meeting was changed on its platform to follow it",
    "session.meeting_removed": "The meeting of a cancelled or replanned session was removed",
}
