"""Sessions ready to run, for the tests of running a call and its log."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chaperone.scheduling import services
from chaperone.scheduling.models import Session, StepKind
from tests.scheduling.conftest import Cast, one_to_one

RISK = {
    "why_remote": "School closed.",
    "known_risks": "None known.",
    "controls": "School account, recorded, DSL invited.",
    "if_concern": "End and report.",
}


def ready(cast: Cast, *, minutes_from_now: int = 5, **changes) -> Session:  # type: ignore[no-untyped-def]
    """A pastoral one-to-one, recorded and unaccompanied, with every step done (allowed), whose
    start is then brought to a few minutes from now: a test cannot wait for the planned day, and
    the plan itself must be in permitted hours whatever the clock says when the test runs."""
    tutor = cast.actor(cast.tutor)
    data = one_to_one(cast, plan_outcome="Attendance target in the pastoral plan.", **changes)
    session = services.session_plan(actor=tutor, school=cast.school, data=data)
    steps = {s.kind for s in session.steps.all()}
    if StepKind.INVITE_DSL in steps:
        services.session_invite_dsl(actor=tutor, session=session)
    if StepKind.APPROVAL in steps:
        services.session_approve(
            actor=cast.actor(cast.slt), session=session, approve=True, risk=RISK
        )
    if session.steps.filter(kind=StepKind.RISK_ASSESSMENT, state="open").exists():
        services.session_assess_risk(actor=cast.actor(cast.slt), session=session, risk=RISK)
    session.refresh_from_db()
    assert session.outcome == "allowed", session.outcome
    Session.objects.filter(pk=session.pk).update(
        starts_at=timezone.now() + timedelta(minutes=minutes_from_now)
    )
    session.refresh_from_db()
    return session


def cast_under(tenant, template_id: str) -> Cast:  # type: ignore[no-untyped-def]
    """The cast of tests/scheduling/conftest.py at a school whose trust follows another shipped
    template."""
    from chaperone.tenancy.roles import Role
    from tests.factories import PupilFactory, make_staff
    from tests.protocols.factories import trust_version

    trust_version(tenant.trust, template_id)
    school = tenant.school
    return Cast(
        school=school,
        tutor=make_staff(school, Role.TUTOR, first_name="Tess", last_name="Tutor"),
        head_of_year=make_staff(school, Role.HEAD_OF_YEAR, first_name="Hal", last_name="Year"),
        slt=make_staff(school, Role.SLT, first_name="Sally", last_name="Senior"),
        dsl=make_staff(school, Role.DSL, first_name="Dee", last_name="Lead"),
        pupil=PupilFactory(school=school, first_name="Pip", last_name="Pupil", year_group=9),
    )
