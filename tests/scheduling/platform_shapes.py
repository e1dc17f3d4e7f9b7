"""The request bodies the platforms document, written down from their reference pages as
strict models (unknown fields and values refused), so the adapters' payloads are checked
against the documented shapes without any network.

- Microsoft Graph v1.0 ``onlineMeeting`` (learn.microsoft.com/graph/api/resources/onlinemeeting,
  ``onlineMeetingBase``, ``lobbyBypassSettings``, ``meetingParticipants``).
- Zoom Meetings API "Create a meeting" body and its ``settings`` object.
- Google Meet REST v2 ``Space`` with ``SpaceConfig`` (``AccessType``, ``Moderation``,
  ``ModerationRestrictions``, ``ArtifactConfig``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- Microsoft Graph -----------------------------------------------------------------------------


class LobbyBypassSettings(_Strict):
    scope: Literal[
        "organizer",
        "organization",
        "organizationAndFederated",
        "everyone",
        "invited",
        "organizationExcludingGuests",
    ]
    isDialInBypassEnabled: StrictBool


class MeetingParticipantInfo(_Strict):
    upn: StrictStr = Field(min_length=3)
    role: Literal["attendee", "presenter", "producer", "coorganizer"]


class MeetingParticipants(_Strict):
    attendees: list[MeetingParticipantInfo]


class GraphOnlineMeeting(_Strict):
    subject: StrictStr = Field(min_length=1)
    startDateTime: StrictStr = Field(pattern=UTC_TIME)
    endDateTime: StrictStr = Field(pattern=UTC_TIME)
    lobbyBypassSettings: LobbyBypassSettings
    allowedPresenters: Literal["everyone", "organization", "roleIsPresenter", "organizer"]
    allowAttendeeToEnableMic: StrictBool
    allowAttendeeToEnableCamera: StrictBool
    allowMeetingChat: Literal["enabled", "disabled", "limited"]
    allowParticipantsToChangeName: StrictBool
    isEntryExitAnnounced: StrictBool
    allowRecording: StrictBool
    recordAutomatically: StrictBool
    participants: MeetingParticipants


# --- Zoom ---------------------------------------------------------------------------------------


class ZoomSettings(_Strict):
    host_video: StrictBool
    participant_video: StrictBool
    join_before_host: StrictBool
    mute_upon_entry: StrictBool
    waiting_room: StrictBool
    approval_type: Literal[0, 1, 2]
    auto_recording: Literal["local", "cloud", "none"]
    meeting_authentication: StrictBool
    authentication_option: StrictStr | None = None
    alternative_hosts: StrictStr
    alternative_hosts_email_notification: StrictBool


class ZoomMeetingCreate(_Strict):
    topic: StrictStr = Field(min_length=1, max_length=200)
    type: Literal[1, 2, 3, 8, 10]
    start_time: StrictStr = Field(pattern=UTC_TIME)
    duration: StrictInt = Field(ge=1)
    timezone: StrictStr
    settings: ZoomSettings


# --- Google Meet ---------------------------------------------------------------------------------

OnOff = Literal["ON", "OFF"]
Restriction = Literal["HOSTS_ONLY", "NO_RESTRICTION"]


class ModerationRestrictions(_Strict):
    chatRestriction: Restriction
    reactionRestriction: Restriction
    presentRestriction: Restriction
    defaultJoinAsViewerType: OnOff


class RecordingConfig(_Strict):
    autoRecordingGeneration: OnOff


class TranscriptionConfig(_Strict):
    autoTranscriptionGeneration: OnOff


class SmartNotesConfig(_Strict):
    autoSmartNotesGeneration: OnOff


class ArtifactConfig(_Strict):
    recordingConfig: RecordingConfig
    transcriptionConfig: TranscriptionConfig
    smartNotesConfig: SmartNotesConfig


class SpaceConfig(_Strict):
    accessType: Literal["OPEN", "TRUSTED", "RESTRICTED"]
    entryPointAccess: Literal["ALL", "CREATOR_APP_ONLY"]
    moderation: OnOff
    moderationRestrictions: ModerationRestrictions
    attendanceReportGenerationType: Literal["GENERATE_REPORT", "DO_NOT_GENERATE"]
    artifactConfig: ArtifactConfig


class MeetSpace(_Strict):
    config: SpaceConfig


SHAPES: dict[str, type[_Strict]] = {
    "teams": GraphOnlineMeeting,
    "zoom": ZoomMeetingCreate,
    "meet": MeetSpace,
}
