"""Zoom: ``POST /users/{host}/meetings`` with a scheduled meeting and its ``settings``
(developers.zoom.us, Meetings API, "Create a meeting"). Credentials: a Server-to-Server OAuth
app of the school's Zoom account."""

from __future__ import annotations

import base64
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

API = "https://api.zoom.us/v2"
OAUTH = "https://zoom.us/oauth/token"
NEEDED = ("account_id", "client_id", "client_secret")
SCHEDULED = 2


class Zoom:
    platform = "zoom"
    name = "Zoom"

    def build(self, meeting: MeetingRules) -> MeetingSpec:
        auth_option = platform_settings(self.platform).get("authentication_option", "")
        settings: dict[str, Any] = {
            "join_before_host": False,
            "waiting_room": meeting.everyone_waits,
            "mute_upon_entry": True,
            "participant_video": not meeting.group,
            "host_video": True,
            "auto_recording": "cloud" if meeting.record else "none",
            "meeting_authentication": bool(auth_option),
            "approval_type": 2,
            "alternative_hosts": ";".join(email for email, _ in meeting.co_hosts if email),
            "alternative_hosts_email_notification": False,
        }
        if auth_option:
            settings["authentication_option"] = auth_option
        payload: dict[str, Any] = {
            "topic": meeting.title,
            "type": SCHEDULED,
            "start_time": utc_text(meeting.starts_at),
            "duration": meeting.duration_minutes,
            "timezone": meeting.time_zone,
            "settings": settings,
        }
        waiting = (
            "On: the host lets each person in"
            if meeting.everyone_waits
            else "Off; pupils still wait until the host starts the meeting"
        )
        if "waiting_room" in meeting.locked:
            waiting += f". {meeting.locked['waiting_room']}"
        shown = (
            ("Waiting room", waiting),
            ("Pupils join before the host", "Never (join before host is off)"),
            ("Who hosts", presenters_in_words(meeting)),
            ("Microphones", "Muted as people arrive"),
            ("Pupils' cameras", "Off as they arrive" if meeting.group else "On as they arrive"),
            ("Recording", recording_in_words(meeting).replace("Starts", "To the cloud; starts")),
            (
                "Signing in",
                "Only people signed in to the school's Zoom may join"
                if auth_option
                else "Not required: anyone with the link waits for the host",
            ),
        )
        return MeetingSpec(
            platform=self.platform,
            name=self.name,
            method="POST",
            path=f"/users/{urllib.parse.quote(meeting.host_email, safe='@')}/meetings",
            payload=payload,
            shown=shown,
        )

    def configured(self) -> bool:
        return has_all(platform_settings(self.platform), NEEDED)

    def _sign_in(self) -> tuple[dict[str, Any], str]:
        """The sign-in's answer and the API root."""
        conf = platform_settings(self.platform)
        if not has_all(conf, NEEDED):
            raise PlatformNotConfigured("Zoom is not configured here.")
        basic = base64.b64encode(f"{conf['client_id']}:{conf['client_secret']}".encode()).decode()
        signed_in = http_json(
            "POST",
            conf.get("oauth_url") or OAUTH,
            form={"grant_type": "account_credentials", "account_id": conf["account_id"]},
            headers={"Authorization": f"Basic {basic}"},
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
            id_key="id",
            url_key="join_url",
            missing="a meeting id and link",
            resource=lambda meeting_id: f"/meetings/{urllib.parse.quote(meeting_id, safe='')}",
        )

    def update(self, resource: str, spec: MeetingSpec) -> None:
        """``PATCH /meetings/{id}`` with the same body as the create ("Update a meeting")."""
        signed_in, api_url = self._sign_in()
        with_token(
            name=self.name,
            signed_in=signed_in,
            method="PATCH",
            url=api_url + resource,
            body=spec.payload,
        )

    def remove(self, resource: str) -> bool:
        """``DELETE /meetings/{id}`` without Zoom's own cancellation email: the calendar
        cancellation has gone from Chaperone already."""
        signed_in, api_url = self._sign_in()
        url = f"{api_url}{resource}?schedule_for_reminder=false&cancel_meeting_reminder=false"
        with_token(name=self.name, signed_in=signed_in, method="DELETE", url=url)
        return True
