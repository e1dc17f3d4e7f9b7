"""Seed 000: a seven-year-old's one-to-one maths call with a parent in the room the whole
time, which a head refused "as a safeguarding issue". Under a shipped protocol that allows it,
it must go ahead in minutes: planned, at most a step or two, allowed; never refused by reflex.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from chaperone.people.actors import actor_for_user
from chaperone.scheduling import services
from chaperone.scheduling.models import StepKind, StepState
from chaperone.scheduling.services import PlanData
from chaperone.tenancy.roles import Role
from tests.factories import PupilFactory, make_staff
from tests.protocols.factories import trust_version
from tests.scheduling.conftest import next_weekday_at


def _seed_000(school, teacher) -> PlanData:  # type: ignore[no-untyped-def]
    return PlanData(
        title="One maths idea, and a catch-up",
        kind="one_to_one",
        purpose="academic_tuition",
        starts_at=next_weekday_at(10, 0),
        duration_minutes=20,
        platform="teams",
        host=teacher,
        pupils=[PupilFactory(school=school, year_group=2, date_of_birth=date(2019, 3, 1))],
        parent_present=True,
        pupil_location="common_room",
        waiting_room=True,
    )


@pytest.mark.parametrize(
    ("template", "steps"),
    [
        # the primary school's protocol: a parent in the room is what it asks for; no step
        ("werrington-primary", {}),
        # the independent school's: parents are told in writing about remote contact once
        ("habs-monmouth", {StepKind.PARENTS_INFORMED: StepState.OPEN}),
    ],
)
def test_a_parent_present_one_to_one_is_allowed_in_minutes(tenant_a, template, steps) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, template)
    school = tenant_a.school
    teacher = make_staff(school, Role.TEACHER)
    actor = actor_for_user(teacher.user)
    session = services.session_plan(actor=actor, school=school, data=_seed_000(school, teacher))
    assert session.outcome != "refused"
    assert {s.kind: s.state for s in session.steps.all()} == steps
    # nobody has to approve it, assess it or chase a form: the teacher does what is left
    if session.outcome == "pending":
        services.session_record_parents_informed(
            actor=actor, session=session, on=timezone.localdate()
        )
        session.refresh_from_db()
    assert session.outcome == "allowed" and services.may_start(session)
