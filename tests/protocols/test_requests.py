"""The seam from records to the engine's request: roles mapped explicitly, pupils' facts read from
the record at the call date, and every choice the try-it form offers known to the engine."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from chaperone import rules
from chaperone.people.models import SocialCareStatus
from chaperone.protocols import forms
from chaperone.protocols.requests import ENGINE_ROLE, age_on, contact_request_for, pupil_facts
from chaperone.rules import vocab
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, SchoolFactory

LONDON = ZoneInfo("Europe/London")


def test_every_app_role_maps_to_an_engine_role() -> None:
    assert set(ENGINE_ROLE) == set(Role)
    assert set(ENGINE_ROLE.values()) <= set(vocab.ROLES)
    assert ENGINE_ROLE[Role.PASTORAL_LEAD] == "senior_deputy_head_pastoral"
    assert ENGINE_ROLE[Role.DEPUTY_DSL] == "dsl" and ENGINE_ROLE[Role.HEADTEACHER] == "slt"


def test_the_try_form_offers_every_app_role() -> None:
    offered = {value for value, _ in forms.ROLE_CHOICES}
    assert offered == set(Role)
    second = {value for value, _ in forms.TryForm.base_fields["second_staff_role"].choices}  # type: ignore[attr-defined]
    assert second - {""} == set(Role)


@pytest.mark.parametrize(
    ("choices", "vocabulary"),
    [
        (forms.KIND_CHOICES, vocab.KINDS),
        (forms.PURPOSE_CHOICES, vocab.PURPOSES),
        (forms.PLATFORM_CHOICES, vocab.PLATFORMS),
        (forms.HOLDER_CHOICES, vocab.HOLDERS),
        (forms.LOCATION_CHOICES, vocab.STAFF_LOCATIONS),
        (forms.CONSENT_CHOICES, vocab.CONSENTS),
        (forms.PUPIL_LOCATION_CHOICES, vocab.PUPIL_LOCATIONS),
    ],
)
def test_every_form_choice_is_in_the_engine_vocabulary(choices, vocabulary) -> None:  # type: ignore[no-untyped-def]
    assert {value for value, _ in choices} == set(vocabulary)


def test_age_is_counted_at_the_call_date() -> None:
    born = dt.date(2016, 12, 2)
    assert age_on(born, dt.date(2026, 12, 1)) == 9
    assert age_on(born, dt.date(2026, 12, 2)) == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("record", "vulnerable"),
    [
        ({}, False),
        ({"is_vulnerable": True}, True),
        ({"social_care_status": SocialCareStatus.CP}, True),
        ({"social_care_status": SocialCareStatus.CIN}, True),
        ({"is_looked_after": True}, True),
        ({"has_sen": True}, False),
    ],
)
def test_flags_come_from_the_record(record, vulnerable) -> None:  # type: ignore[no-untyped-def]
    pupil = PupilFactory(school=SchoolFactory(), date_of_birth=dt.date(2015, 3, 1), **record)
    facts = pupil_facts(pupil, dt.date(2026, 12, 1))
    assert facts.vulnerable is vulnerable and facts.age == 11 and facts.has_ehcp is False


@pytest.mark.django_db
def test_contact_request_for_builds_a_request_the_engine_accepts() -> None:
    pupil = PupilFactory(school=SchoolFactory(), has_ehcp=True, date_of_birth=dt.date(2014, 1, 5))
    request = contact_request_for(
        staff=[Role.PASTORAL_LEAD],
        pupils=[pupil],
        at=dt.datetime(2026, 12, 1, 14, 5, tzinfo=LONDON),
        kind="one_to_one",
        purpose="pastoral",
        platform="teams",
        second_staff_role=Role.DEPUTY_DSL,
        recording=True,
    )
    parsed = rules.parse_request(request)
    assert parsed.staff[0].role == "senior_deputy_head_pastoral"
    assert parsed.second_staff_invited and parsed.second_staff_role == "dsl"
    assert parsed.pupils[0].age == 12 and parsed.pupils[0].has_ehcp and parsed.recording
    with pytest.raises(ValueError, match="aware"):
        contact_request_for(
            staff=[Role.TEACHER],
            pupils=[pupil],
            at=dt.datetime(2026, 12, 1, 14, 5),
            kind="group",
            purpose="teaching",
            platform="teams",
        )


@pytest.mark.django_db
def test_the_pupil_picker_reads_flags_from_the_record_and_is_scoped(
    tenant_a, tenant_b, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    from tests.protocols.test_try import form

    ours = PupilFactory(
        school=tenant_a.school,
        date_of_birth=dt.date(2016, 5, 1),
        social_care_status=SocialCareStatus.CP,
    )
    theirs = PupilFactory(school=tenant_b.school)
    client = login_as(tenant_a.school, Role.DSL)
    page = client.get(reverse("protocols:try")).content.decode()
    assert ours.display_name in page and theirs.display_name not in page
    data = form(
        kind="one_to_one",
        purpose="pastoral",
        pupils=[str(ours.pk)],
        pupil_age="16",
        date="2026-11-24",
    )
    response = client.post(reverse("protocols:try_result"), data, HTTP_HX_REQUEST="true")
    assert not response.context["form"].errors
    sent = response.context["form"].to_request("Europe/London")
    assert sent["pupils"] == [{"age": 10, "vulnerable": True, "has_ehcp": False}]
    response = client.post(reverse("protocols:try_result"), {**data, "pupils": [str(theirs.pk)]})
    assert "pupils" in response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TEACHER, Role.TUTOR, Role.SCHOOL_ADMIN])
def test_without_the_flags_permission_no_pupil_record_can_be_tried(
    tenant_a, overlay, login_as, role
) -> None:  # type: ignore[no-untyped-def]
    """Review: a teacher picked pupils one at a time and read from the decision which were
    vulnerable. Whoever may not see the flags describes the pupils instead."""
    from tests.protocols.test_try import form

    flagged = PupilFactory(
        school=tenant_a.school,
        date_of_birth=dt.date(2016, 5, 1),
        social_care_status=SocialCareStatus.CP,
    )
    plain = PupilFactory(school=tenant_a.school, date_of_birth=dt.date(2016, 5, 1))
    client = login_as(tenant_a.school, role)
    page = client.get(reverse("protocols:try")).content.decode()
    assert flagged.display_name not in page and 'name="pupils"' not in page
    outcomes = []
    for pupil in (flagged, plain):
        data = form(kind="one_to_one", purpose="pastoral", pupils=[str(pupil.pk)], pupil_age="10")
        response = client.post(reverse("protocols:try_result"), data, HTTP_HX_REQUEST="true")
        assert not response.context["form"].errors
        sent = response.context["form"].to_request("Europe/London")
        assert sent["pupils"] == [{"age": 10, "vulnerable": False, "has_ehcp": False}]
        outcomes.append(response.content)
    assert outcomes[0] == outcomes[1]
