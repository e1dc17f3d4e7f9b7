"""The platform's meeting is made once a session is allowed, only where the platform is
configured, once, with the link then carried by the invitations; a refusal is kept, shown and
tried again. The platform is a real HTTP server on the loopback (from test_platforms)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

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
        assert meetings.meeting_ensure(session_id=session.pk) == "exists"
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
        assert meetings.meeting_ensure(session_id=session.pk) == "not_allowed"
        invitations.invitations_send(session_id=session.pk)
    assert _made(api) == []
    session.refresh_from_db()
    assert session.meeting_id == ""


def test_without_credentials_the_hosts_link_stands(cast) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS={}):
        session = _allowed(cast, platform="teams")
        assert meetings.meeting_ensure(session_id=session.pk) == "manual"
    session.refresh_from_db()
    assert session.meeting_id == ""
    assert session.join_url.startswith("https://teams.example.org/")


def test_a_refusal_is_kept_shown_and_tried_again_by_the_daily_job(  # type: ignore[no-untyped-def]
    cast, api, smtp_inbox
) -> None:
    api.fail = True
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        assert meetings.meeting_ensure(session_id=session.pk) == "failed"
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
        assert meetings.meeting_ensure(session_id=session.pk) == "created"
        session.refresh_from_db()
        assert session.meeting_error == "" and session.meeting_id == "MSo1"
        assert session.pk not in meetings.meetings_due(date.today())
        page = client.get(reverse("scheduling:detail", args=[session.pk])).content.decode()
        assert 'id="meeting-made"' in page


def test_a_cancelled_or_unknown_session_gets_no_meeting(cast, api) -> None:  # type: ignore[no-untyped-def]
    with override_settings(CHAPERONE_PLATFORMS=_configured(api.url)):
        session = _allowed(cast, platform="teams")
        services.session_cancel(actor=cast.actor(cast.tutor), session=session, reason="Ill.")
        assert meetings.meeting_ensure(session_id=session.pk) == "not_allowed"
        assert meetings.meeting_ensure(session_id=Session.objects.order_by("-pk")[0].pk + 99) == (
            "missing"
        )
    assert _made(api) == []
