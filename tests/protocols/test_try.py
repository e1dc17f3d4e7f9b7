"""The "Try it" checker: live htmx results, whole-page fallback, field errors, saved checks."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from chaperone import rules
from chaperone.people.actors import actor_for_user
from chaperone.protocols.forms import initial_try_data
from chaperone.protocols.models import ProtocolDecision
from chaperone.protocols.services import protocol_decide
from chaperone.tenancy.roles import Role
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

TRY = reverse("protocols:try")
RESULT = reverse("protocols:try_result")


def form(**changes: Any) -> dict[str, Any]:
    data = initial_try_data("2026-11-24")  # a Tuesday
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


GROUP_OK = form(parent_present="on")
ONE_TO_ONE = form(
    kind="one_to_one", purpose="pastoral", pupil_count="1", recording="on", your_role="tutor"
)


def test_htmx_partial_answers_allowed_for_a_group_with_a_parent(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, GROUP_OK, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "app-decision--allowed" in body
    assert "Reminders for the call" in body
    assert not ProtocolDecision.objects.exists()


def test_htmx_partial_refuses_a_group_without_a_parent(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, form(), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "app-decision--refused" in body
    assert "CHAPERONE_REQUIRED" not in body  # codes stay in the API and the CLI
    assert "CHAPERONE_REQUIRED" in response.context["decision"].codes
    assert "What stops this call" in body
    assert "To fix:" in body and "Ask a parent or carer to stay in the room" in body
    assert response.context["decision"].outcome == "refused"


def test_one_to_one_pastoral_is_pending_with_steps(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TUTOR)
    response = client.post(TRY, ONE_TO_ONE, HTTP_HX_REQUEST="true")
    decision = response.context["decision"]
    assert decision.outcome == "pending"
    assert {"RISK_ASSESSMENT_REQUIRED", "SLT_APPROVAL_REQUIRED", "OUTCOME_NOT_LINKED"} <= set(
        decision.codes
    )
    assert "Steps to complete before the call" in response.content.decode()


def test_without_javascript_the_whole_page_is_rendered(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(TRY, form(platform="meet", parent_present="on"))
    body = response.content.decode()
    assert "<html" in body and 'hx-post="/protocols/try/result/"' in body
    assert "app-decision--refused" in body and "PLATFORM_NOT_APPROVED" not in body
    assert "PLATFORM_NOT_APPROVED" in response.context["decision"].codes
    assert 'value="meet" selected' in body  # the form keeps what was chosen


def test_first_visit_shows_a_decision_for_the_example(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as(tenant_a.school, Role.TEACHER).get(TRY)
    assert response.status_code == 200
    assert response.context["decision"] is not None


def test_out_of_range_length_names_the_field(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, form(duration_minutes="600"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["duration_minutes"]
    assert errors["duration_minutes"] == ["Enter a length of at most 480 minutes (8 hours)."]
    assert 'href="#id_duration_minutes"' in response.content.decode()


def test_choosing_one_to_one_keeps_one_pupil_instead_of_failing(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, form(kind="one_to_one"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert response.context["decision"] is not None
    body = response.content.decode()
    # the shown number of pupils follows, swapped in out of band
    assert 'id="field-pupil_count" hx-swap-oob="true"' in body
    assert 'name="pupil_count" value="1"' in body


def test_home_alone_with_a_parent_present_names_the_field(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, form(pupil_home_alone="on", parent_present="on"))
    assert "pupil_home_alone" in response.context["form"].errors


def test_nonsense_values_are_field_errors_not_crashes(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.post(RESULT, form(pupil_age="ten", date="tomorrow", kind="séance"))
    assert response.status_code == 200
    assert {"pupil_age", "date", "kind"} <= set(response.context["form"].errors)
    response = client.post(RESULT, form(pupil_age="1"))
    assert "Enter an age of 2 or more." in response.content.decode()


def test_save_this_check_records_the_decision_with_its_versions(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TUTOR)
    client.post(RESULT, ONE_TO_ONE)
    client.post(TRY, ONE_TO_ONE, HTTP_HX_REQUEST="true")
    assert not ProtocolDecision.objects.exists()
    response = client.post(TRY, {**ONE_TO_ONE, "save": "1"})
    saved = ProtocolDecision.objects.get()
    assert saved.version_id == overlay.pk
    assert saved.base_version_id == overlay.base_version_id
    assert saved.outcome == "pending"
    assert "RISK_ASSESSMENT_REQUIRED" in saved.codes
    assert saved.request["kind"] == "one_to_one" and saved.request["duration_minutes"] == 30
    assert saved.request["at"] == "2026-11-24T14:00:00Z" or saved.request["at"].startswith(
        "2026-11-24T14:00:00"
    )
    assert saved.decision["protocol"]["version"] == "2026.1"
    assert str(saved) in response.content.decode()
    assert str(saved).startswith(f"Pending under {tenant_a.school.name} 2026.1 at ")


def test_service_records_the_trust_version_when_there_is_no_overlay(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    actor = actor_for_user(make_staff(tenant_a.other_school, Role.TEACHER).user)
    request = {
        "at": "2026-11-24T10:00:00+00:00",
        "kind": "group",
        "purpose": "teaching",
        "platform": "zoom",
        "staff": [{"role": "teacher"}],
        "pupils": [{"age": 14}],
    }
    decision, saved = protocol_decide(
        actor=actor, school=tenant_a.other_school, request_data=request
    )
    assert decision.outcome == "allowed"
    assert saved is not None and saved.version_id == npat.pk and saved.base_version_id is None
    _, nothing = protocol_decide(
        actor=actor, school=tenant_a.other_school, request_data=request, record=False
    )
    assert nothing is None and ProtocolDecision.objects.count() == 1
    with pytest.raises(rules.RequestError) as exc:
        protocol_decide(
            actor=actor, school=tenant_a.other_school, request_data={**request, "kind": "x"}
        )
    assert exc.value.field == "kind"
