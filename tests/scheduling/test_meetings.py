"""The platform's meeting is made once a session is allowed, only where the platform is
configured, once, with the link then carried by the invitations; a refusal is kept, shown and
tried again. The platform is a real HTTP server on the loopback (from test_platforms)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import invitations, meetings, services
from chaperone.scheduling.models import Session
from tests.scheduling.conftest import one_to_one
from tests.scheduling.test_invitations import _allowed, _messages
from tests.scheduling.test_platforms import _Api, _configured

TEAMS_LINK = "https://teams.example/l/1"


@pytest.fixture
def api() -> Iterator[_Api]:
    server = _Api()
    yield server
    server.stop()


def _made(api) -> list[dict]:  # type: ignore[no-untyped-def]
    return [r for r in api.requests if r["path"].endswith("/onlineMeetings")]


def test_an_allowed_session_gets_its_meeting_once_and_the_invitations_carry_its_link(  # type: ignore[no-untyped-def]
    cast, api, smtp_inbox
) -> None:
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        sequence = session.sequence
        invitations.invitations_send(session_id=session.pk)
        assert len(_made(api)) == 1
        session.refresh_from_db()
        assert session.meeting_id == "MSo1"
        assert session.join_url == TEAMS_LINK
        assert session.meeting_error == ""
        assert session.sequence > sequence
        # the payload sent is the one built from the plan and the protocol
        assert json.loads(_made(api)[0]["body"])["subject"] == session.title
        event = AuditEvent.objects.get(action="session.meeting_created")
        assert event.details["meeting_id"] == "MSo1"
        # the invitations carry the platform's link, not the one typed in the plan
        assert any(TEAMS_LINK in str(m) for _, m in _messages(smtp_inbox))
        # run again: nothing new is made
        assert meetings.meeting_sync(session_id=session.pk) == "exists"
        invitations.invitations_send(session_id=session.pk)
    assert len(_made(api)) == 1


def test_no_meeting_is_made_before_the_session_is_allowed(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = services.session_plan(
            actor=cast.actor(cast.tutor),
            school=cast.school,
            data=one_to_one(cast, platform="teams", plan_outcome="Attendance target."),
        )
        assert session.outcome != "allowed"
        assert meetings.meeting_sync(session_id=session.pk) == "not_allowed"
        invitations.invitations_send(session_id=session.pk)
    assert _made(api) == []
    session.refresh_from_db()
    assert session.meeting_id == ""


def test_without_credentials_the_hosts_link_stands(cast) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS={}):
        session = _allowed(cast, platform="teams")
        assert meetings.meeting_sync(session_id=session.pk) == "manual"
    session.refresh_from_db()
    assert session.meeting_id == ""
    assert session.join_url.startswith("https://teams.example.org/")


def test_a_refusal_is_kept_shown_and_tried_again_by_the_daily_job(  # type: ignore[no-untyped-def]
    cast, api, smtp_inbox
) -> None:
    api.fail = True
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        assert meetings.meeting_sync(session_id=session.pk) == "failed"
        session.refresh_from_db()
        assert "403" in session.meeting_error
        assert AuditEvent.objects.filter(action="session.meeting_failed").count() == 1
        # the invitations still go, with the host's own link
        assert invitations.invitations_send(session_id=session.pk) > 0
        client = Client()
        client.force_login(cast.tutor.user)
        page = client.get(reverse("scheduling:detail", args=[session.pk])).content.decode()
        assert 'id="meeting-error"' in page and "403" in page
        # the platform answers again: the daily job's list has the session, and it is made
        api.fail = False
        assert session.pk in meetings.meetings_due(date.today())
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        session.refresh_from_db()
        assert session.meeting_error == "" and session.meeting_id == "MSo1"
        assert session.pk not in meetings.meetings_due(date.today())
        page = client.get(reverse("scheduling:detail", args=[session.pk])).content.decode()
        assert 'id="meeting-made"' in page


def test_a_cancelled_or_unknown_session_gets_no_meeting(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        services.session_cancel(actor=cast.actor(cast.tutor), session=session, reason="Ill.")
        assert meetings.meeting_sync(session_id=session.pk) == "not_allowed"
        assert meetings.meeting_sync(session_id=Session.objects.order_by("-pk")[0].pk + 99) == (
            "missing"
        )
    assert _made(api) == []


# --- the meeting follows the session (moved, changed, cancelled, replanned) -------------------


def _calls(api, method: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [r for r in api.requests if r.get("method") == method and "token" not in r["path"]]


def _moved(cast, session, **changes):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    data = one_to_one(
        cast,
        plan_outcome="Attendance target.",
        join_url=session.join_url,
        platform=session.platform,
        starts_at=session.starts_at + timedelta(days=1),
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return services.session_change(actor=cast.actor(cast.tutor), session=session, data=data)


@pytest.mark.parametrize(
    ("platform", "resource", "moved_field"),
    [
        ("teams", "/graph/users/{host}/onlineMeetings/MSo1", "startDateTime"),
        ("zoom", "/zoom/meetings/85746065", "start_time"),
    ],
)
def test_a_moved_session_moves_its_meeting_on_the_platform(  # type: ignore[no-untyped-def]
    cast, api, platform, resource, moved_field
) -> None:
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform=platform)
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        session.refresh_from_db()
        assert meetings.meeting_sync(session_id=session.pk) == "exists"  # nothing changed
        assert _calls(api, "PATCH") == []
        session = _moved(cast, session)
        assert meetings.meeting_sync(session_id=session.pk) == "updated"
        (patch,) = _calls(api, "PATCH")
        assert patch["path"] == resource.format(host=cast.tutor.notice_email)
        sent = json.loads(patch["body"])
        moved = session.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
        assert sent[moved_field].startswith(moved)
        event = AuditEvent.objects.get(action="session.meeting_updated")
        assert event.details["platform"] == platform
        # in step again: a second run sends nothing
        assert meetings.meeting_sync(session_id=session.pk) == "exists"
        assert len(_calls(api, "PATCH")) == 1
        session.refresh_from_db()
        assert session.meeting_id and session.meeting_error == ""


@pytest.mark.parametrize(
    ("platform", "method", "path", "deleted"),
    [
        ("teams", "DELETE", "/graph/users/{host}/onlineMeetings/MSo1", True),
        ("zoom", "DELETE", "/zoom/meetings/85746065?", True),
        ("meet", "POST", "/meet/spaces/abc:endActiveConference", False),
    ],
)
def test_a_cancelled_session_has_its_meeting_removed_through_the_invitations_run(  # type: ignore[no-untyped-def]
    cast, api, smtp_inbox, platform, method, path, deleted
) -> None:
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform=platform)
        invitations.invitations_send(session_id=session.pk)
        session.refresh_from_db()
        assert session.meeting_id
        services.session_cancel(actor=cast.actor(cast.tutor), session=session, reason="Ill.")
        invitations.invitations_send(session_id=session.pk)  # what the cancellation enqueues
        wanted = path.format(host=cast.tutor.notice_email)
        calls = [r for r in _calls(api, method) if r["path"].startswith(wanted)]
        assert len(calls) == 1
        session.refresh_from_db()
        assert session.meeting_id == "" and session.meeting_resource == ""
        event = AuditEvent.objects.get(action="session.meeting_removed")
        assert event.details["deleted_on_platform"] is deleted
        # nothing more to do, and nothing is made again for a cancelled session
        assert meetings.meeting_sync(session_id=session.pk) == "not_allowed"
        assert len([r for r in _calls(api, method) if r["path"].startswith(wanted)]) == 1


def test_a_session_moved_to_another_platform_gets_a_new_meeting_there(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        session.refresh_from_db()
        session = _moved(cast, session, platform="zoom", join_url="https://zoom.example/j/1")
        # the Teams meeting goes at once, though the change reopened a step (the DSL's invite)
        assert meetings.meeting_sync(session_id=session.pk) == "not_allowed"
        (deleted,) = _calls(api, "DELETE")
        assert deleted["path"].endswith("/onlineMeetings/MSo1")
        session.refresh_from_db()
        assert session.meeting_id == ""
        services.session_invite_dsl(actor=cast.actor(cast.tutor), session=session)
        session.refresh_from_db()
        assert services.may_start(session)
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        session.refresh_from_db()
        assert (session.meeting_platform, session.meeting_id) == ("zoom", "85746065")
        assert session.join_url == "https://zoom.example/j/85746065"
        assert AuditEvent.objects.filter(action="session.meeting_removed").count() == 1


def test_a_change_the_platform_refuses_is_kept_shown_and_tried_again(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="zoom")
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        session.refresh_from_db()
        session = _moved(cast, session)
        api.fail = True
        assert meetings.meeting_sync(session_id=session.pk) == "failed"
        session.refresh_from_db()
        assert "403" in session.meeting_error and session.meeting_id == "85746065"
        assert AuditEvent.objects.get(action="session.meeting_failed").details["doing"] == (
            "updated"
        )
        client = Client()
        client.force_login(cast.tutor.user)
        page = client.get(reverse("scheduling:detail", args=[session.pk])).content.decode()
        assert 'id="meeting-made"' in page and 'id="meeting-error"' in page
        # the daily job lists it, and once the platform answers, the meeting is in step
        assert session.pk in meetings.meetings_due(date.today())
        api.fail = False
        assert meetings.meeting_sync(session_id=session.pk) == "updated"
        session.refresh_from_db()
        assert session.meeting_error == ""
        assert session.pk not in meetings.meetings_due(date.today())


def test_a_meeting_made_before_fingerprints_is_changed_not_made_again(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="zoom")
        assert meetings.meeting_sync(session_id=session.pk) == "created"
        Session.objects.filter(pk=session.pk).update(meeting_fingerprint="")
        assert meetings.meeting_sync(session_id=session.pk) == "updated"
        assert _calls(api, "DELETE") == []
        assert len([r for r in api.requests if r["path"].endswith("/meetings")]) == 1


def test_the_fingerprint_fits_its_column(cast) -> None:  # type: ignore[no-untyped-def]
    # SQLite does not enforce a column's length; PostgreSQL refused the first version's
    session = _allowed(cast, platform="zoom")
    spec = meetings.spec_for_session(session, meetings.latest_decision(session))
    column = Session._meta.get_field("meeting_fingerprint")
    assert len(meetings.fingerprint(spec)) <= column.max_length
