"""Audit action names recorded by the welfare app."""

ACTIONS = {
    "welfare.tier_changed": "The DSL stepped a pupil's welfare call tier up or down",
    "welfare.preferences_changed": "A family's welfare call preferences were changed",
    "welfare.preferences_imported": "Families' welfare call preferences were imported from CSV",
    "welfare.availability_changed": "A caller's welfare call availability was changed",
    "welfare.rota_requested": "A welfare call rota was asked for",
    "welfare.rota_planned": "The planner made a welfare call rota",
    "welfare.rota_failed": "The planner could not make a welfare call rota",
    "welfare.replan_requested": "A welfare call rota was re-planned after an absence",
    "welfare.call_sheet_viewed": "A caller opened their call sheet with the families' numbers",
    "welfare.call_recorded": "A welfare call was recorded",
    "welfare.concern_raised": "A concern was raised from a welfare call",
    "welfare.escalation_raised": "A family not reached on two days was sent to the DSL",
    "welfare.escalation_notice_sent": "The DSL was emailed about a family not reached",
    "welfare.escalation_step_recorded": "A step of an escalation was recorded",
    "welfare.escalation_step_timed_out": "A step of an escalation ran out of time",
    "welfare.escalation_viewed": "An escalation and its attempt history were looked at",
    "welfare.coverage_viewed": "The welfare call coverage figures were looked at",
    "welfare.calls_exported": "The welfare call log was downloaded (without phone numbers)",
    "welfare.day_sheets_printed": "The day's call sheets were printed (without phone numbers)",
}
