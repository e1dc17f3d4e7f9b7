"""Audit action names recorded by the records app."""

ACTIONS = {
    "recording.added": "A recording of a session was added to the register",
    "recording.register_viewed": "The register of recordings was looked at",
    "recording.viewed": "A recording's entry in the register was looked at",
    "recording.opened": "A recording was opened or downloaded, with a reason",
    "recording.access_log_viewed": "The log of who opened recordings was looked at",
    "records.linked": "A recording or log was linked to a concern",
    "records.hold_placed": "A legal hold was placed on a record",
    "records.hold_released": "A legal hold on a record was released",
    "records.schedule_changed": "The school's retention schedule was changed",
    "records.deleted": "Records past their retention period were deleted (a deletion certificate)",
    "records.file_deleted": "A recording's file was deleted from storage",
    "records.file_delete_failed": "A recording's file could not be deleted from storage",
    "records.sar_logged": "A subject access request was logged",
    "records.sar_exported": "A pupil's subject access pack was exported",
    "records.sar_released": "A subject access request was answered",
}
