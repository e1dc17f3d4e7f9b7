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
    with_token,
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

    def _sign_in(self) -> tuple[dict[str, Any], str]:
        """The sign-in's answer and the API root."""
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
        return signed_in, conf.get("api_url") or API

    def create(self, spec: MeetingSpec) -> MeetingCreated:
        signed_in, api_url = self._sign_in()
        return create_with_token(
            name=self.name,
            signed_in=signed_in,
            api_url=api_url,
            spec=spec,
            id_key="name",
            url_key="meetingUri",
            missing="a space name and link",
            resource=lambda name: f"/{name}",
        )

    def update(self, resource: str, spec: MeetingSpec) -> None:
        """``PATCH /spaces/{id}?updateMask=config``: a space has no time of its own, so only
        its settings follow the session (recording, chat)."""
        signed_in, api_url = self._sign_in()
        with_token(
            name=self.name,
            signed_in=signed_in,
            method="PATCH",
            url=f"{api_url}{resource}?updateMask=config",
            body=spec.payload,
        )

    def remove(self, resource: str) -> bool:
        """A Meet space cannot be deleted through the API. Any conference running in it is
        ended (``POST /spaces/{id}:endActiveConference``) and the space, which admits nobody
        without a host letting them in, is left unused: False."""
        signed_in, api_url = self._sign_in()
        with_token(
            name=self.name,
            signed_in=signed_in,
            method="POST",
            url=f"{api_url}{resource}:endActiveConference",
            body={},
        )
        return False
