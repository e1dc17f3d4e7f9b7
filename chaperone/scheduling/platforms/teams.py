"""Microsoft Teams through Microsoft Graph: ``POST /users/{host}/onlineMeetings`` with an
``onlineMeeting`` body (learn.microsoft.com, graph/api/resources/onlinemeeting). Credentials:
an Entra ID application allowed to create meetings for the host (client credentials)."""

from __future__ import annotations

import urllib.parse
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
    utc_text,
    with_token,
)

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
NEEDED = ("tenant_id", "client_id", "client_secret")


class Teams:
    platform = "teams"
    name = "Microsoft Teams"

    def build(self, meeting: MeetingRules) -> MeetingSpec:
        # Attendees may switch on their microphone and camera in a one-to-one; in a group they
        # arrive without them and the host lets them speak from the meeting.
        attendees_av = not meeting.group
        payload: dict[str, Any] = {
            "subject": meeting.title,
            "startDateTime": utc_text(meeting.starts_at),
            "endDateTime": utc_text(meeting.ends_at),
            # Only the organiser bypasses the lobby: pupils (who may be in the school's own
            # tenant) always wait until the host lets them in, so nobody is in before the host.
            "lobbyBypassSettings": {"scope": "organizer", "isDialInBypassEnabled": False},
            "allowedPresenters": "roleIsPresenter" if meeting.co_hosts else "organizer",
            "allowAttendeeToEnableMic": attendees_av,
            "allowAttendeeToEnableCamera": attendees_av,
            # chat during the meeting only, not before or after it
            "allowMeetingChat": "limited",
            "allowParticipantsToChangeName": False,
            "isEntryExitAnnounced": True,
            "allowRecording": meeting.record,
            "recordAutomatically": meeting.record,
            "participants": {
                "attendees": [
                    {"upn": email, "role": "presenter"} for email, _ in meeting.co_hosts if email
                ]
            },
        }
        lobby = "Everyone but the host waits in the lobby until the host lets them in"
        if "waiting_room" in meeting.locked:
            lobby += f". {meeting.locked['waiting_room']}"
        shown = (
            ("Lobby", lobby),
            ("Pupils join before the host", "Never: only the host bypasses the lobby"),
            ("Who presents", presenters_in_words(meeting)),
            (
                "Attendees' microphones and cameras",
                "They may switch them on"
                if attendees_av
                else "Off; the host allows them during the meeting",
            ),
            ("Chat", "During the meeting only"),
            ("Recording", recording_in_words(meeting)),
            ("Names", "Attendees cannot change their name; arrivals are announced"),
        )
        return MeetingSpec(
            platform=self.platform,
            name=self.name,
            method="POST",
            path=f"/users/{urllib.parse.quote(meeting.host_email, safe='@')}/onlineMeetings",
            payload=payload,
            shown=shown,
        )

    def configured(self) -> bool:
        return has_all(platform_settings(self.platform), NEEDED)

    def _sign_in(self) -> tuple[dict[str, Any], str]:
        """The sign-in's answer and the API root."""
        conf = platform_settings(self.platform)
        if not has_all(conf, NEEDED):
            raise PlatformNotConfigured("Microsoft Teams is not configured here.")
        login = conf.get("login_url") or LOGIN
        signed_in = http_json(
            "POST",
            f"{login}/{urllib.parse.quote(conf['tenant_id'])}/oauth2/v2.0/token",
            form={
                "client_id": conf["client_id"],
                "client_secret": conf["client_secret"],
                "scope": "https://graph.microsoft.com/.default",
                "grant_type": "client_credentials",
            },
            platform=self.name,
        )
        return signed_in, conf.get("api_url") or GRAPH

    def create(self, spec: MeetingSpec) -> MeetingCreated:
        signed_in, api_url = self._sign_in()
        return create_with_token(
            name=self.name,
            signed_in=signed_in,
            api_url=api_url,
            spec=spec,
            id_key="id",
            url_key="joinWebUrl",
            missing="a meeting id and link",
            resource=lambda meeting_id: f"{spec.path}/{urllib.parse.quote(meeting_id, safe='')}",
        )

    def update(self, resource: str, spec: MeetingSpec) -> None:
        """``PATCH /users/{organiser}/onlineMeetings/{id}`` with the create's body (Graph,
        "Update onlineMeeting"): times, subject, lobby and presenters follow the session."""
        signed_in, api_url = self._sign_in()
        with_token(
            name=self.name,
            signed_in=signed_in,
            method="PATCH",
            url=api_url + resource,
            body=spec.payload,
        )

    def remove(self, resource: str) -> bool:
        """``DELETE /users/{organiser}/onlineMeetings/{id}``: the link stops working."""
        signed_in, api_url = self._sign_in()
        with_token(name=self.name, signed_in=signed_in, method="DELETE", url=api_url + resource)
        return True
