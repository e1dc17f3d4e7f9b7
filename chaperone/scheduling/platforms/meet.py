"""Google Meet: ``POST /spaces`` with a ``Space`` whose ``config`` sets access, moderation and
artifacts (developers.google.com, Meet REST API v2, ``spaces``). Credentials: an OAuth client
and the refresh token of the school account that owns the meetings."""

from __future__ import annotations

from typing import Any

from chaperone.scheduling.platforms.base import (
    MeetingCreated,
    MeetingRules,
    MeetingSpec,
    PlatformNotConfigured,
    create_with_token,
    has_all,
    http_json,
    platform_settings,
    presenters_in_words,
    recording_in_words,
)

API = "https://meet.googleapis.com/v2"
TOKEN = "https://oauth2.googleapis.com/token"  # noqa: S105 (an address, not a secret)
NEEDED = ("client_id", "client_secret", "refresh_token")


def _on(flag: bool) -> str:
    return "ON" if flag else "OFF"


class Meet:
    platform = "meet"
    name = "Google Meet"

    def build(self, meeting: MeetingRules) -> MeetingSpec:
        payload: dict[str, Any] = {
            "config": {
                # Only invitees join without knocking, and the space has none: everyone else,
                # pupils included, knocks and waits for the host to let them in.
                "accessType": "RESTRICTED",
                "entryPointAccess": "ALL",
                "moderation": "ON",
                "moderationRestrictions": {
                    "chatRestriction": "HOSTS_ONLY" if meeting.group else "NO_RESTRICTION",
                    "reactionRestriction": "NO_RESTRICTION",
                    "presentRestriction": "HOSTS_ONLY",
                    "defaultJoinAsViewerType": "OFF",
                },
                "attendanceReportGenerationType": "GENERATE_REPORT",
                "artifactConfig": {
                    "recordingConfig": {"autoRecordingGeneration": _on(meeting.record)},
                    "transcriptionConfig": {"autoTranscriptionGeneration": "OFF"},
                    "smartNotesConfig": {"autoSmartNotesGeneration": "OFF"},
                },
            }
        }
        knock = "Everyone knocks and the host lets them in"
        if "waiting_room" in meeting.locked:
            knock += f". {meeting.locked['waiting_room']}"
        shown = (
            ("Joining", knock),
            ("Pupils join before the host", "Never: only the host can let anyone in"),
            ("Who presents", presenters_in_words(meeting)),
            ("Chat", "Only the hosts" if meeting.group else "Everyone in the meeting"),
            ("Recording", recording_in_words(meeting)),
            ("Attendance report", "Made for every meeting"),
            ("Transcripts and notes", "Off"),
        )
        notes: tuple[str, ...] = ()
        if meeting.co_hosts:
            notes = ("The host lets the second member of staff in and makes them a co-host.",)
        return MeetingSpec(
            platform=self.platform,
            name=self.name,
            method="POST",
            path="/spaces",
            payload=payload,
            shown=shown,
            notes=notes,
        )

    def configured(self) -> bool:
        return has_all(platform_settings(self.platform), NEEDED)

    def create(self, spec: MeetingSpec) -> MeetingCreated:
        conf = platform_settings(self.platform)
        if not has_all(conf, NEEDED):
            raise PlatformNotConfigured("Google Meet is not configured here.")
        signed_in = http_json(
            "POST",
            conf.get("token_url") or TOKEN,
            form={
                "client_id": conf["client_id"],
                "client_secret": conf["client_secret"],
                "refresh_token": conf["refresh_token"],
                "grant_type": "refresh_token",
            },
            platform=self.name,
        )
        return create_with_token(
            name=self.name,
            signed_in=signed_in,
            api_url=conf.get("api_url") or API,
            spec=spec,
            id_key="name",
            url_key="meetingUri",
            missing="a space name and link",
        )
