"""Platform adapters: each payload matches its API's documented shape, the settings come from
the plan and the protocol, pupils never reach a meeting before the host, and real calls go out
only when credentials are configured (here to a local HTTP server standing in for the API)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from chaperone.protocols.demo import template_source
from chaperone.scheduling import platforms, services
from chaperone.scheduling.models import Session
from chaperone.scheduling.platforms import PlatformError, PlatformNotConfigured
from chaperone.scheduling.platforms.base import utc_text
from tests.factories import PupilFactory
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import Cast, one_to_one
from tests.scheduling.platform_shapes import SHAPES

WAITING_ROOM_RULE = """

[[rules]]
id = "lobby-on"
code = "WAITING_ROOM_REQUIRED"
effect = "refuse"
require = { waiting_room = true }
text = "Every video call has a waiting room."
remedy = "Switch the waiting room on."
"""


def _latest(session: Session):  # type: ignore[no-untyped-def]
    return session.decisions.select_related("decision").last().decision


def _spec(session: Session, platform: str | None = None) -> platforms.MeetingSpec:
    session = Session.objects.select_related("host", "second_staff", "school").get(pk=session.pk)
    if platform:
        session.platform = platform
    return platforms.spec_for_session(session, _latest(session))


def _one_to_one(cast: Cast, **changes: Any) -> Session:
    return services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast, **changes)
    )


def _group(cast: Cast, **changes: Any) -> Session:
    pupils = [cast.pupil, PupilFactory(school=cast.school), PupilFactory(school=cast.school)]
    return _one_to_one(
        cast,
        kind="group",
        purpose="teaching",
        title="Year 9 maths",
        pupils=pupils,
        recording=False,
        **changes,
    )


@pytest.mark.parametrize("platform", ["teams", "zoom", "meet"])
@pytest.mark.parametrize("kind", ["one_to_one", "group"])
def test_each_payload_has_the_documented_shape(cast, platform, kind) -> None:  # type: ignore[no-untyped-def]
    session = (
        _one_to_one(cast, second_staff=cast.head_of_year) if kind == "one_to_one" else _group(cast)
    )
    spec = _spec(session, platform)
    SHAPES[platform].model_validate(spec.payload)
    assert spec.method == "POST"
    assert spec.shown and all(label and value for label, value in spec.shown)


@pytest.mark.parametrize("waiting_room", [True, False])
@pytest.mark.parametrize("kind", ["one_to_one", "group"])
def test_pupils_never_reach_a_meeting_before_the_host(cast, waiting_room, kind) -> None:  # type: ignore[no-untyped-def]
    make = _one_to_one if kind == "one_to_one" else _group
    session = make(cast, waiting_room=waiting_room)
    teams = _spec(session, "teams").payload
    assert teams["lobbyBypassSettings"] == {"scope": "organizer", "isDialInBypassEnabled": False}
    zoom = _spec(session, "zoom").payload["settings"]
    assert zoom["join_before_host"] is False
    assert zoom["waiting_room"] is waiting_room
    assert zoom["mute_upon_entry"] is True
    meet = _spec(session, "meet").payload["config"]
    assert meet["accessType"] == "RESTRICTED" and meet["moderation"] == "ON"
    assert meet["moderationRestrictions"]["presentRestriction"] == "HOSTS_ONLY"


def test_teams_payload_follows_the_plan(cast) -> None:  # type: ignore[no-untyped-def]
    session = _one_to_one(cast, second_staff=cast.head_of_year)
    spec = _spec(session, "teams")
    assert spec.path == f"/users/{cast.tutor.notice_email}/onlineMeetings"
    assert spec.payload == {
        "subject": "Weekly check-in",
        "startDateTime": utc_text(session.starts_at),
        "endDateTime": utc_text(session.ends_at),
        "lobbyBypassSettings": {"scope": "organizer", "isDialInBypassEnabled": False},
        "allowedPresenters": "roleIsPresenter",
        "allowAttendeeToEnableMic": True,
        "allowAttendeeToEnableCamera": True,
        "allowMeetingChat": "limited",
        "allowParticipantsToChangeName": False,
        "isEntryExitAnnounced": True,
        "allowRecording": True,
        "recordAutomatically": True,
        "participants": {
            "attendees": [{"upn": cast.head_of_year.notice_email, "role": "presenter"}]
        },
    }
    group = _spec(_group(cast), "teams").payload
    assert group["allowedPresenters"] == "organizer"
    assert group["allowAttendeeToEnableMic"] is False
    assert group["recordAutomatically"] is False and group["allowRecording"] is False
    assert group["participants"] == {"attendees": []}


def test_the_protocol_locks_recording_on_where_it_requires_it(cast) -> None:  # type: ignore[no-untyped-def]
    # npat-one-to-one refuses an unrecorded one-to-one: the engine says so when asked
    session = _one_to_one(cast)
    spec = _spec(session, "zoom")
    assert spec.payload["settings"]["auto_recording"] == "cloud"
    shown = dict(spec.shown)
    assert "The protocol requires this call to be recorded" in shown["Recording"]
    # a group call under the same protocol is not locked: the plan decides
    group = _spec(_group(cast), "zoom")
    assert group.payload["settings"]["auto_recording"] == "none"
    assert "protocol" not in dict(group.shown)["Recording"]
    # without the protocol's answer nothing is locked, and the plan alone decides
    session.platform = "zoom"
    bare = platforms.build(session, None)
    assert bare.payload == spec.payload  # the plan already records it
    assert "protocol" not in dict(bare.shown)["Recording"]


def test_the_protocol_locks_the_waiting_room_where_it_requires_one(cast, tenant_a) -> None:  # type: ignore[no-untyped-def]
    trust_version(
        tenant_a.trust,
        text=template_source("npat-one-to-one").replace('version = "2026.1"', 'version = "2026.2"')
        + WAITING_ROOM_RULE,
    )
    session = _one_to_one(cast, waiting_room=True)
    meeting = platforms.meeting_rules(
        Session.objects.select_related("host", "school").get(pk=session.pk),
        _latest(session),
        _effective(cast),
    )
    assert "waiting_room" in meeting.locked and meeting.everyone_waits
    shown = dict(_spec(session, "zoom").shown)
    assert "The protocol requires a waiting room" in shown["Waiting room"]


def _effective(cast: Cast):  # type: ignore[no-untyped-def]
    from chaperone.protocols.effective import effective_protocol_for_school, today_at

    return effective_protocol_for_school(cast.school, on=today_at(cast.school))


def test_the_manual_link_needs_nothing_configured(cast) -> None:  # type: ignore[no-untyped-def]
    session = _one_to_one(cast, platform="teams", join_url="https://example.org/call/1")
    spec = _spec(session, "other")
    assert spec.method == "" and spec.payload == {"join_url": "https://example.org/call/1"}
    created = platforms.adapter_for("other").create(spec)
    assert created.join_url == "https://example.org/call/1"
    assert platforms.adapter_for("unknown").name == "A link the host sets up"
    with pytest.raises(PlatformNotConfigured, match="Add the meeting link"):
        platforms.adapter_for("other").create(_spec(_one_to_one(cast), "other"))


@pytest.mark.parametrize("platform", ["teams", "zoom", "meet"])
def test_no_call_is_made_without_credentials(cast, platform) -> None:  # type: ignore[no-untyped-def]
    adapter = platforms.adapter_for(platform)
    assert not adapter.configured()
    with pytest.raises(PlatformNotConfigured):
        adapter.create(_spec(_one_to_one(cast), platform))


# --- real HTTP, to a server on the loopback address ----------------------------------------------


class _Api:
    """A local HTTP server answering like each platform's token and create endpoints."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _changed(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                api.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": raw.decode(),
                    }
                )
                self.send_response(403 if api.fail else 204)
                self.end_headers()
                if api.fail:
                    self.wfile.write(b'{"error": {"message": "Not allowed for this user"}}')

            do_PATCH = _changed
            do_DELETE = _changed

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                api.requests.append(
                    {
                        "method": "POST",
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": raw.decode(),
                    }
                )
                if "token" in self.path:
                    answer: dict[str, Any] = {"access_token": "tok-123", "expires_in": 3599}
                elif api.fail:
                    self.send_response(403)
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "Not allowed for this user"}}')
                    return
                elif self.path.endswith("/onlineMeetings"):
                    answer = {"id": "MSo1", "joinWebUrl": "https://teams.example/l/1"}
                elif self.path.endswith("/meetings"):
                    answer = {"id": 85746065, "join_url": "https://zoom.example/j/85746065"}
                elif self.path.endswith(":endActiveConference"):
                    answer = {}
                else:
                    answer = {"name": "spaces/abc", "meetingUri": "https://meet.example/abc"}
                body = json.dumps(answer).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[_Api]:
    server = _Api()
    yield server
    server.stop()


def _configured(url: str) -> dict[str, dict[str, str]]:
    return {
        "teams": {
            "tenant_id": "t-1",
            "client_id": "c-1",
            "client_secret": "s-1",
            "api_url": f"{url}/graph",
            "login_url": f"{url}/login",
        },
        "zoom": {
            "account_id": "a-1",
            "client_id": "c-1",
            "client_secret": "s-1",
            "authentication_option": "",
            "api_url": f"{url}/zoom",
            "oauth_url": f"{url}/zoom/oauth/token",
        },
        "meet": {
            "client_id": "c-1",
            "client_secret": "s-1",
            "refresh_token": "r-1",
            "api_url": f"{url}/meet",
            "token_url": f"{url}/meet/token",
        },
    }


@pytest.mark.parametrize(
    ("platform", "meeting_id", "join_url"),
    [
        ("teams", "MSo1", "https://teams.example/l/1"),
        ("zoom", "85746065", "https://zoom.example/j/85746065"),
        ("meet", "spaces/abc", "https://meet.example/abc"),
    ],
)
def test_a_configured_platform_is_sent_the_exact_payload(  # type: ignore[no-untyped-def]
    cast, api, platform, meeting_id, join_url
) -> None:
    session = _one_to_one(cast)
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        adapter = platforms.adapter_for(platform)
        assert adapter.configured()
        spec = _spec(session, platform)
        created = adapter.create(spec)
    assert (created.meeting_id, created.join_url) == (meeting_id, join_url)
    token, made = api.requests
    assert "token" in token["path"]
    if platform == "zoom":  # Server-to-Server OAuth: the app's id and secret as Basic auth
        assert token["headers"]["Authorization"] == "Basic Yy0xOnMtMQ=="
        assert "grant_type=account_credentials" in token["body"]
    else:
        assert "client_secret=s-1" in token["body"]
    assert made["headers"]["Authorization"] == "Bearer tok-123"
    assert json.loads(made["body"]) == spec.payload
    assert made["path"].endswith(spec.path)


def test_a_platform_refusal_is_reported_with_what_it_said(cast, api) -> None:  # type: ignore[no-untyped-def]
    api.fail = True
    session = _one_to_one(cast)
    with (
        override_settings(CHAPERONE_PLATFORMS=_configured(api.url)),
        pytest.raises(PlatformError, match=r"Microsoft Teams answered 403: .*Not allowed"),
    ):
        platforms.adapter_for("teams").create(_spec(session, "teams"))


def test_an_unreachable_platform_is_a_clear_error(cast) -> None:  # type: ignore[no-untyped-def]
    session = _one_to_one(cast)
    closed = _configured("http://127.0.0.1:9")
    with (
        override_settings(CHAPERONE_PLATFORMS=closed),
        pytest.raises(PlatformError, match="Zoom could not be reached"),
    ):
        platforms.adapter_for("zoom").create(_spec(session, "zoom"))


def test_the_session_page_shows_the_settings_that_will_be_applied(cast) -> None:  # type: ignore[no-untyped-def]
    session = _one_to_one(cast)
    client = Client()
    client.force_login(cast.tutor.user)
    page = client.get(reverse("scheduling:detail", args=[session.pk])).content.decode()
    assert "Meeting settings" in page
    assert "Microsoft Teams: these are the settings the meeting must have" in page
    assert "Never: only the host bypasses the lobby" in page
    assert "The protocol requires this call to be recorded" in page
