"""The session pages from a browser's point of view (Django's test client, real database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chaperone.scheduling import services
from chaperone.scheduling.models import Session, StepKind, StepState
from tests.conftest import verified_client
from tests.factories import PupilFactory
from tests.scheduling.conftest import next_weekday_at, one_to_one


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


def _form(cast, **changes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    when = next_weekday_at(12, 45)
    data = {
        "title": "Weekly check-in",
        "kind": "one_to_one",
        "purpose": "pastoral",
        "date": when.date().isoformat(),
        "start_time": "12:45",
        "duration_minutes": "30",
        "pupils": str(cast.pupil.pk),
        "platform": "teams",
        "waiting_room": "on",
        "account": "school",
        "device": "school",
        "staff_location": "on_site",
        "recording": "on",
        "pupil_location": "common_room",
        "plan_outcome": "Attendance target in the pastoral plan.",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_answer_updates_as_the_plan_form_changes(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    page = client.get(reverse("scheduling:plan"))
    assert page.status_code == 200
    assert "Plan a session" in page.content.decode()
    ok = client.post(reverse("scheduling:check"), _form(cast), HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    body = ok.content.decode()
    assert "Steps on the checklist once saved" in body
    refused = client.post(
        reverse("scheduling:check"), _form(cast, account="personal"), HTTP_HX_REQUEST="true"
    )
    assert "What stops this call" in refused.content.decode()
    assert not Session.objects.exists()


def test_planning_from_the_form_stores_the_session_and_its_checklist(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    response = client.post(reverse("scheduling:plan"), _form(cast))
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:detail", args=[session.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Checklist before the call" in page
    assert "Invite the DSL" in page
    assert session.host == cast.tutor and session.planned_by == cast.tutor


def test_a_refused_plan_shows_why_and_keeps_what_was_typed(cast) -> None:  # type: ignore[no-untyped-def]
    client = _client(cast.tutor)
    response = client.post(reverse("scheduling:plan"), _form(cast, account="personal"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "does not allow this session as planned" in body
    assert 'value="Weekly check-in"' in body
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_minutes": "0"}, "Enter a length of at least 1 minute."),
        ({"date": "2020-01-06"}, "choose a time in the future"),
        ({"pupils": None}, "Choose at least one pupil."),
        ({"pupils": "99999999999999999999"}, "Select a valid choice"),
        ({"second_staff": "abc"}, "Select a valid choice"),
        ({"join_url": "javascript:alert(1)"}, "Enter a full web address"),
        ({"title": ""}, "Enter a name for the session."),
    ],
)
def test_bad_input_is_named_and_saves_nothing(cast, changes, message) -> None:  # type: ignore[no-untyped-def]
    response = _client(cast.tutor).post(reverse("scheduling:plan"), _form(cast, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Session.objects.exists()


def test_a_pupil_of_another_school_cannot_be_chosen(cast, tenant_a) -> None:  # type: ignore[no-untyped-def]
    elsewhere = PupilFactory(school=tenant_a.other_school, first_name="Zebedee")
    response = _client(cast.tutor).post(
        reverse("scheduling:plan"), _form(cast, pupils=str(elsewhere.pk))
    )
    assert "Select a valid choice" in response.content.decode()
    assert "Zebedee" not in response.content.decode()
    assert not Session.objects.exists()


def test_a_senior_leader_approves_with_the_risk_assessment(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = _client(cast.tutor)
    tutor.post(reverse("scheduling:plan"), _form(cast))
    session = Session.objects.get()
    tutor.post(reverse("scheduling:step", args=[session.pk, StepKind.INVITE_DSL]))
    # the host cannot reach the approval page
    assert tutor.get(reverse("scheduling:approval", args=[session.pk])).status_code == 403
    slt = verified_client(cast.slt)
    page = slt.get(reverse("scheduling:approval", args=[session.pk]))
    assert page.status_code == 200 and "Risk assessment" in page.content.decode()
    missing = slt.post(reverse("scheduling:approval", args=[session.pk]), {"decision": "approve"})
    assert "Answer: Why must this contact happen remotely" in missing.content.decode()
    answers = {
        "decision": "approve",
        "risk_why_remote": "The school is closed.",
        "risk_known_risks": "Nothing known.",
        "risk_controls": "Recorded, school account, DSL invited.",
        "risk_if_concern": "End and report to the DSL.",
    }
    done = slt.post(reverse("scheduling:approval", args=[session.pk]), answers)
    assert done.status_code == 302
    session.refresh_from_db()
    assert session.outcome == "allowed"
    assert {s.state for s in session.steps.all()} == {StepState.DONE}


def test_a_forged_approval_post_by_the_host_changes_nothing(cast) -> None:  # type: ignore[no-untyped-def]
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    response = _client(cast.tutor).post(
        reverse("scheduling:approval", args=[session.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert session.steps.get(kind=StepKind.APPROVAL).state == StepState.OPEN


def test_an_unknown_step_is_a_404(cast) -> None:  # type: ignore[no-untyped-def]
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    response = _client(cast.tutor).post(reverse("scheduling:step", args=[session.pk, "approval"]))
    assert response.status_code == 404


def test_the_timetable_reads_a_fixed_number_of_queries(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    dsl = verified_client(cast.dsl)
    url = reverse("scheduling:timetable")

    def plan(n: int) -> None:
        for i in range(n):
            data = one_to_one(cast, title=f"Call {i}", pupils=[PupilFactory(school=cast.school)])
            data.starts_at = data.starts_at + timedelta(minutes=40 * (i % 5))
            services.session_plan(actor=tutor, school=cast.school, data=data)

    plan(2)
    dsl.get(url)
    with CaptureQueriesContext(connection) as few:
        assert dsl.get(url, {"start": next_weekday_at(9).date().isoformat()}).status_code == 200
    plan(8)
    with CaptureQueriesContext(connection) as many:
        body = dsl.get(url, {"start": next_weekday_at(9).date().isoformat()}).content.decode()
    assert "Call 7" in body
    assert len(many.captured_queries) == len(few.captured_queries)


def test_teachers_do_not_see_the_timetable(cast) -> None:  # type: ignore[no-untyped-def]
    assert _client(cast.tutor).get(reverse("scheduling:timetable")).status_code == 403
