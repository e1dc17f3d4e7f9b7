"""Who reads a concern: the route decides, over every role; the named person never; reads are
recorded; others see only that a concern exists, where granted."""

from __future__ import annotations

import pytest
from django.http import Http404

from chaperone.audit.models import AuditEvent
from chaperone.concerns import selectors
from chaperone.concerns.models import PupilRole
from chaperone.concerns.services import concern_raise
from chaperone.tenancy.roles import Role
from tests.factories import make_staff

#: everyone who could be at the school: every role there, and a trust administrator
EVERY_ROLE = sorted(Role)


def _holder(cast, role):  # type: ignore[no-untyped-def]
    if role == Role.TRUST_ADMIN:
        return make_staff(None, role, trust=cast.school.trust)
    return make_staff(cast.school, role)


def _sees(cast, staff, concern) -> bool:  # type: ignore[no-untyped-def]
    return selectors.concerns_visible(actor=cast.actor(staff)).filter(pk=concern.pk).exists()


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_a_concern_about_the_head_is_seen_by_the_chair_and_nobody_else(cast, role) -> None:  # type: ignore[no-untyped-def]
    concern = concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.WITNESS)],
        summary="The head spoke to a pupil alone on a personal phone.",
        about_staff=cast.head,
    )
    someone = _holder(cast, role)
    assert _sees(cast, someone, concern) is (role == Role.CHAIR_OF_GOVERNORS)
    # nor the head named, nor the teacher who raised it, nor the DSL
    for staff in (cast.head, cast.teacher, cast.dsl, cast.deputy):
        assert not _sees(cast, staff, concern)
    assert _sees(cast, cast.chair, concern)
    assert selectors.may_manage(cast.actor(cast.chair), concern)


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_a_concern_about_a_teacher_is_the_heads_alone(cast, role) -> None:  # type: ignore[no-untyped-def]
    concern = concern_raise(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        pupils_with_roles=[],
        summary="A parent says the teacher messaged a pupil on a personal account.",
        about_staff=cast.teacher,
    )
    someone = _holder(cast, role)
    assert _sees(cast, someone, concern) is (role == Role.HEADTEACHER)
    assert not _sees(cast, cast.teacher, concern)  # the person named
    assert not _sees(cast, cast.tutor, concern)  # its raiser neither


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_a_concern_about_a_child_is_the_teams_and_its_raisers(cast, role) -> None:  # type: ignore[no-untyped-def]
    concern = concern_raise(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip came in hungry again and said there was no food at home.",
    )
    someone = _holder(cast, role)
    team = {Role.DSL, Role.DEPUTY_DSL, Role.TRUST_ADMIN}
    assert _sees(cast, someone, concern) is (role in team)
    assert _sees(cast, cast.tutor, concern)


def test_a_concern_about_a_dsl_is_hidden_from_them_and_goes_to_the_head(cast) -> None:  # type: ignore[no-untyped-def]
    concern = concern_raise(
        actor=cast.actor(cast.teacher),
        school=cast.school,
        pupils_with_roles=[],
        summary="The DSL shared a pupil's details in a public chat.",
        about_staff=cast.dsl,
    )
    assert not _sees(cast, cast.dsl, concern)
    assert not _sees(cast, cast.deputy, concern)
    assert _sees(cast, cast.head, concern)


def test_opening_a_concern_records_the_read_and_another_schools_is_a_404(cast) -> None:  # type: ignore[no-untyped-def]
    concern = concern_raise(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip said they were scared to go home.",
    )
    selectors.concern_get_for_viewing(actor=cast.actor(cast.dsl), concern_id=concern.pk)
    read = AuditEvent.objects.get(action="concern.viewed")
    assert read.actor_staff_id == cast.dsl.pk and read.target_id == str(concern.pk)
    elsewhere = make_staff(cast.other_school, Role.DSL)
    with pytest.raises(Http404):
        selectors.concern_get_for_viewing(actor=cast.actor(elsewhere), concern_id=concern.pk)
    with pytest.raises(Http404):
        selectors.concern_get_for_viewing(actor=cast.actor(cast.teacher), concern_id=concern.pk)
    assert AuditEvent.objects.filter(action="concern.viewed").count() == 1


def test_others_see_only_that_a_concern_exists_where_granted(cast) -> None:  # type: ignore[no-untyped-def]
    concern_raise(
        actor=cast.actor(cast.dsl),
        school=cast.school,
        pupils_with_roles=[(cast.pupil, PupilRole.SUBJECT)],
        summary="Pip disclosed something at lunch.",
    )
    tutor_view = selectors.concern_summary_for_pupil(actor=cast.actor(cast.tutor), pupil=cast.pupil)
    assert tutor_view is not None and tutor_view["detail"] is False and tutor_view["count"] == 1
    assert "concerns" not in tutor_view
    teacher_view = selectors.concern_summary_for_pupil(
        actor=cast.actor(cast.teacher), pupil=cast.pupil
    )
    assert teacher_view is None
    dsl_view = selectors.concern_summary_for_pupil(actor=cast.actor(cast.dsl), pupil=cast.pupil)
    assert dsl_view is not None and len(dsl_view["concerns"]) == 1
