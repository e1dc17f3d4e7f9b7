"""The manual link: the default, which needs nothing configured. The host sets the meeting up
themselves and the session keeps its link; the page lists the settings the protocol expects so
that the host can check them."""

from __future__ import annotations

from chaperone.scheduling.platforms.base import (
    MeetingCreated,
    MeetingRules,
    MeetingSpec,
    PlatformNotConfigured,
    presenters_in_words,
    recording_in_words,
)


class ManualLink:
    platform = "other"
    name = "A link the host sets up"

    def build(self, meeting: MeetingRules) -> MeetingSpec:
        waiting = (
            "On for everyone: the host lets each person in"
            if meeting.everyone_waits
            else "Pupils wait until the host has joined and lets them in"
        )
        if "waiting_room" in meeting.locked:
            waiting += f". {meeting.locked['waiting_room']}"
        shown = (
            ("Meeting link", meeting.join_url or "Not given yet: add it to the plan"),
            ("Waiting room", waiting),
            ("Pupils join before the host", "Never: set the meeting so they cannot"),
            ("Who presents", presenters_in_words(meeting)),
            (
                "Microphones and cameras",
                "Off as pupils arrive" if meeting.group else "Microphones off as pupils arrive",
            ),
            ("Recording", recording_in_words(meeting)),
        )
        return MeetingSpec(
            platform=self.platform,
            name=self.name,
            method="",
            path="",
            payload={"join_url": meeting.join_url},
            shown=shown,
            notes=("Chaperone cannot set these for you: check them when you set up the meeting.",),
        )

    def configured(self) -> bool:
        return True

    def create(self, spec: MeetingSpec) -> MeetingCreated:
        url = str(spec.payload.get("join_url") or "")
        if not url:
            raise PlatformNotConfigured("Add the meeting link to the plan.")
        return MeetingCreated(meeting_id="", join_url=url)

    def update(self, resource: str, spec: MeetingSpec) -> None:
        """Nothing to do: the host keeps their own meeting in step with the session."""

    def remove(self, resource: str) -> bool:
        return False


class PhoneCall(ManualLink):
    platform = "phone"
    name = "Telephone"

    def build(self, meeting: MeetingRules) -> MeetingSpec:
        shown = (
            ("Call from", "A school telephone"),
            ("Recording", recording_in_words(meeting)),
        )
        return MeetingSpec(
            platform=self.platform, name=self.name, method="", path="", payload={}, shown=shown
        )

    def create(self, spec: MeetingSpec) -> MeetingCreated:
        raise PlatformNotConfigured("A telephone call has no meeting to create.")
