"""Planning a session: the protocol's pending findings become its checklist, the right people
complete the steps, and a changed plan goes back through them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from chaperone.audit.models import AuditEvent
from chaperone.scheduling import services
from chaperone.scheduling.models import (
    RiskAssessment,
    SchedulingRecordRefused,
    Session,
    SessionDecision,
    StepKind,
    StepState,
)
from tests.factories import PupilFactory
from tests.scheduling.conftest import one_to_one

RISK = {
    "why_remote": "School closed.",
    "known_risks": "None known.",
    "controls": "School account, recorded, DSL invited.",
    "if_concern": "End and report.",
}


def _steps(session: Session) -> dict[str, str]:
    return {s.kind: s.state for s in session.steps.all()}


def test_the_pending_findings_become_the_checklist(cast) -> None:  # type: ignore[no-untyped-def]
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    assert session.outcome == "pending"
    assert _steps(session) == {
        StepKind.PLAN_OUTCOME: StepState.OPEN,
        StepKind.RISK_ASSESSMENT: StepState.OPEN,
        StepKind.APPROVAL: StepState.OPEN,
        StepKind.TIMETABLE: StepState.DONE,  # planned is on the DSL's timetable
        StepKind.INVITE_DSL: StepState.OPEN,
    }
    stored = SessionDecision.objects.get(session=session)
    assert stored.decision.outcome == "pending"
    assert stored.decision.version.protocol.owner_trust_id == cast.school.trust_id
    assert AuditEvent.objects.filter(action="session.planned", target_id=str(session.pk)).exists()
    assert not services.may_start(session)


def test_steps_done_by_the_right_people_make_the_session_allowed(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    session = services.session_plan(
        actor=tutor,
        school=cast.school,
        data=one_to_one(cast, plan_outcome="Attendance target in the pastoral plan."),
    )
    services.session_invite_dsl(actor=tutor, session=session)
    with pytest.raises(PermissionDenied):
        services.session_approve(actor=tutor, session=session, approve=True, risk=RISK)
    with pytest.raises(services.PlanProblem) as missing_risk:
        services.session_approve(
            actor=cast.actor(cast.slt), session=session, approve=True, risk=None
        )
    assert missing_risk.value.field == "risk"
    services.session_approve(actor=cast.actor(cast.slt), session=session, approve=True, risk=RISK)
    session.refresh_from_db()
    assert set(_steps(session).values()) == {StepState.DONE}
    assert session.outcome == "allowed"
    assert services.may_start(session)
    assessment = RiskAssessment.objects.get(session=session)
    assert assessment.answers == RISK and assessment.written_by == cast.slt
    with pytest.raises(SchedulingRecordRefused):
        assessment.save()


def test_a_refused_plan_is_not_saved(cast) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.PlanRefused) as refused:
        services.session_plan(
            actor=cast.actor(cast.tutor),
            school=cast.school,
            data=one_to_one(cast, account="personal"),
        )
    assert "PERSONAL_ACCOUNT" in refused.value.decision.codes
    assert not Session.objects.exists()
    assert not AuditEvent.objects.filter(action="session.planned").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"pupils": []}, "pupils"),
    ],
)
def test_bad_plans_name_the_field_and_save_nothing(cast, changes, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.PlanProblem) as problem:
        services.session_plan(
            actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast, **changes)
        )
    assert problem.value.field == field
    assert not Session.objects.exists()


def test_a_time_in_the_past_and_a_pupil_of_another_school_are_refused(cast, tenant_a) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    past = one_to_one(cast)
    past.starts_at = past.starts_at - timedelta(days=30)
    with pytest.raises(services.PlanProblem) as problem:
        services.session_plan(actor=tutor, school=cast.school, data=past)
    assert problem.value.field == "date"
    elsewhere = PupilFactory(school=tenant_a.other_school)
    with pytest.raises(services.PlanProblem) as problem:
        services.session_plan(
            actor=tutor, school=cast.school, data=one_to_one(cast, pupils=[elsewhere])
        )
    assert problem.value.field == "pupils"
    assert not Session.objects.exists()


def test_a_one_to_one_has_one_pupil(cast) -> None:  # type: ignore[no-untyped-def]
    two = [cast.pupil, PupilFactory(school=cast.school)]
    with pytest.raises(services.PlanProblem) as problem:
        services.session_plan(
            actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast, pupils=two)
        )
    assert problem.value.field == "pupils"


def test_nobody_approves_a_session_they_take_part_in(cast) -> None:  # type: ignore[no-untyped-def]
    """The SLT member who hosts (or is the second adult) cannot approve it."""
    slt = cast.actor(cast.slt)
    session = services.session_plan(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        data=one_to_one(cast, second_staff=cast.slt),
    )
    if session.steps.filter(kind=StepKind.APPROVAL).exists():
        with pytest.raises(PermissionDenied):
            services.session_approve(actor=slt, session=session, approve=True, risk=RISK)


def test_a_refusal_needs_a_reason_and_keeps_the_session_from_starting(cast) -> None:  # type: ignore[no-untyped-def]
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    slt = cast.actor(cast.slt)
    with pytest.raises(services.PlanProblem) as problem:
        services.session_approve(actor=slt, session=session, approve=False, note=" ", risk=None)
    assert problem.value.field == "note"
    services.session_approve(
        actor=slt, session=session, approve=False, note="Use a group.", risk=None
    )
    session.refresh_from_db()
    step = session.steps.get(kind=StepKind.APPROVAL)
    assert step.state == StepState.REFUSED and step.note == "Use a group."
    assert not services.may_start(session)
    assert AuditEvent.objects.filter(action="session.approval_refused").exists()


def test_a_change_that_alters_the_decision_reopens_the_approval(cast) -> None:  # type: ignore[no-untyped-def]
    tutor = cast.actor(cast.tutor)
    session = services.session_plan(
        actor=tutor, school=cast.school, data=one_to_one(cast, plan_outcome="Plan target.")
    )
    services.session_invite_dsl(actor=tutor, session=session)
    services.session_approve(actor=cast.actor(cast.slt), session=session, approve=True, risk=RISK)
    session.refresh_from_db()
    assert session.outcome == "allowed"

    # moving the call by a day changes nothing the protocol asks: the approval stands
    same = services.PlanData.of(session)
    same.starts_at = same.starts_at + timedelta(days=7)
    services.session_change(actor=tutor, session=session, data=same)
    session.refresh_from_db()
    assert session.outcome == "allowed"

    # bringing in a personal device is refused and changes nothing
    worse = services.PlanData.of(session)
    worse.device = "personal"
    with pytest.raises(services.PlanRefused):
        services.session_change(actor=tutor, session=session, data=worse)
    session.refresh_from_db()
    assert session.device == "school" and session.outcome == "allowed"

    # a parent in the room alters what the protocol asks: no approval is needed any more, and
    # the risk assessment written for the old plan is asked for again
    changed = services.PlanData.of(session)
    changed.parent_present = True
    services.session_change(actor=tutor, session=session, data=changed)
    session.refresh_from_db()
    assert StepKind.APPROVAL not in _steps(session)
    assert _steps(session)[StepKind.RISK_ASSESSMENT] == StepState.OPEN
    assert session.outcome == "pending"
    reopened = AuditEvent.objects.get(action="session.steps_reopened")
    assert reopened.details == {"steps": ["risk_assessment"]}

    # and back again: the approval is a step to do once more
    back = services.PlanData.of(session)
    back.parent_present = False
    services.session_change(actor=tutor, session=session, data=back)
    session.refresh_from_db()
    assert _steps(session)[StepKind.APPROVAL] == StepState.OPEN
    assert not services.may_start(session)


def test_only_the_host_or_a_leader_changes_or_cancels(cast) -> None:  # type: ignore[no-untyped-def]
    session = services.session_plan(
        actor=cast.actor(cast.tutor), school=cast.school, data=one_to_one(cast)
    )
    with pytest.raises(PermissionDenied):
        services.session_cancel(actor=cast.actor(cast.head_of_year), session=session, reason="x")
    with pytest.raises(services.PlanProblem):
        services.session_cancel(actor=cast.actor(cast.tutor), session=session, reason=" ")
    services.session_cancel(actor=cast.actor(cast.slt), session=session, reason="Pupil ill.")
    session.refresh_from_db()
    assert session.is_cancelled and not services.may_start(session)


BOTH_RULE = """

[[rules]]
id = "one-to-one-approval-and-consent"
code = "PARENTAL_CONSENT_REQUIRED"
effect = "pending"
when = { kind = ["one_to_one"] }
require = { slt_approved = true, consent_at_least = "written" }
text = "A one-to-one needs a senior leader's approval and a parent's written consent."
remedy = "Ask a senior leader to approve it and the parents to consent."
"""


def test_a_rule_asking_for_two_steps_together_becomes_both_steps(cast) -> None:  # type: ignore[no-untyped-def]
    """A finding that no single step answers, but two do together, is those two steps (it used
    to be shown as "change the plan", which no change of plan could answer)."""
    from chaperone.protocols.demo import primary_overlay_source
    from chaperone.protocols.effective import protocol_cache
    from tests.protocols.factories import school_overlay_version

    school_overlay_version(cast.school, text=primary_overlay_source(cast.school) + BOTH_RULE)
    protocol_cache.clear()
    session = services.session_plan(
        actor=cast.actor(cast.tutor),
        school=cast.school,
        data=one_to_one(cast, plan_outcome="Attendance target in the pastoral plan."),
    )
    steps = _steps(session)
    assert StepKind.CHANGE_PLAN not in steps
    assert steps[StepKind.APPROVAL] == StepState.OPEN
    assert steps[StepKind.CONSENT] == StepState.OPEN
    consent_step = session.steps.get(kind=StepKind.CONSENT)
    assert consent_step.code == "PARENTAL_CONSENT_REQUIRED"


def test_planning_reads_the_host_and_second_adults_roles_in_one_query(cast) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    data = one_to_one(cast, second_staff=cast.head_of_year)
    with CaptureQueriesContext(connection) as queries:
        session = services.session_plan(actor=cast.actor(cast.tutor), school=cast.school, data=data)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "people_staffassignment"' in q["sql"]
        and '"role"' in q["sql"]
        and '"awaiting_confirmation"' in q["sql"]
    ]
    assert len(reads) == 1, reads  # checked and judged from the same read (it was four)
    assert session.second_staff == cast.head_of_year
