"""The caller's sheet (numbers only on the day, only to the assigned caller), recording a call
with a concern in one step, the retry on another day, and the escalation on the second failed
day (not the first), with its ladder and timers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from chaperone.audit.models import AuditEvent
from chaperone.concerns.models import Concern
from chaperone.welfare import calls, escalation
from chaperone.welfare.models import (
    CallStatus,
    Escalation,
    EscalationStatus,
    LadderStep,
    Outcome,
    PlannedCall,
    RotaRun,
    RunStatus,
    Tier,
)
from chaperone.welfare.need import WelfareProblem
from tests.welfare.conftest import MONDAY, Closure

pytestmark = pytest.mark.django_db

TUESDAY, WEDNESDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)


def _run(closure: Closure, days: int = 5) -> RotaRun:
    run = RotaRun.objects.create(
        trust=closure.trust,
        title="Closure",
        first_day=MONDAY,
        last_day=MONDAY + dt.timedelta(days=days - 1),
        days=[(MONDAY + dt.timedelta(days=i)).isoformat() for i in range(days)],
        status=RunStatus.PLANNED,
    )
    run.schools.set([closure.school])
    return run


def _call(closure: Closure, run: RotaRun, family: str, day: dt.date, staff=None) -> PlannedCall:  # type: ignore[no-untyped-def]
    return PlannedCall.objects.create(
        run=run,
        household=closure.families[family],
        staff=staff or closure.sen,
        day=day,
        tier=Tier.WEEKLY,
    )


def test_numbers_show_only_on_the_day_and_only_to_the_assigned_caller(closure: Closure) -> None:
    run = _run(closure)
    _call(closure, run, "ehcp", MONDAY)
    sen = closure.actor(closure.sen)
    today = calls.call_sheet(actor=sen, school=closure.school, day=MONDAY, today=MONDAY)
    assert [c.phone for c in today[0].contacts] == ["+447700900102"]
    assert AuditEvent.objects.filter(action="welfare.call_sheet_viewed").count() == 1
    ahead = calls.call_sheet(
        actor=sen, school=closure.school, day=MONDAY, today=MONDAY - dt.timedelta(days=1)
    )
    assert ahead[0].contacts == []
    other = calls.call_sheet(
        actor=closure.actor(closure.teacher), school=closure.school, day=MONDAY, today=MONDAY
    )
    assert other == []
    with pytest.raises(Http404):
        calls.planned_call_for_caller(
            actor=closure.actor(closure.teacher), call_id=run.calls.get().pk
        )


def test_recording_a_call_with_a_concern_in_one_step(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    run = _run(closure)
    call = _call(closure, run, "ehcp", MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        entry = calls.call_record(
            actor=closure.actor(closure.sen),
            call=call,
            outcome=Outcome.SPOKE_TO_CHILD,
            answers={"food": "worry", "safety": "fine"},
            notes="Cupboards bare.",
            concern="Child said there has been no food since Friday.",
            day=MONDAY,
        )
    assert entry.spoke_to_child and entry.food == "worry"
    concern = Concern.objects.get()
    assert entry.concern == concern
    assert list(concern.pupils.all()) == [closure.pupils["ehcp"]]
    call.refresh_from_db()
    assert call.status == CallStatus.MADE
    assert any("concern" in m.subject.lower() for m in mail.outbox)


def test_only_the_assigned_caller_records_and_the_outcome_is_checked(closure: Closure) -> None:
    call = _call(closure, _run(closure), "ehcp", MONDAY)
    with pytest.raises(PermissionDenied):
        calls.call_record(actor=closure.actor(closure.teacher), call=call, outcome="child")
    with pytest.raises(WelfareProblem) as err:
        calls.call_record(actor=closure.actor(closure.sen), call=call, outcome="maybe")
    assert err.value.field == "outcome"


def test_a_family_not_reached_is_retried_on_another_day(closure: Closure) -> None:
    run = _run(closure)
    call = _call(closure, run, "ehcp", MONDAY)
    calls.call_record(
        actor=closure.actor(closure.sen), call=call, outcome=Outcome.NO_ANSWER, day=MONDAY
    )
    retry = PlannedCall.objects.get(run=run, is_retry=True)
    assert (retry.household_id, retry.day, retry.staff_id) == (
        call.household_id,
        TUESDAY,
        closure.sen.pk,
    )


def test_escalation_fires_on_the_second_failed_day_and_not_the_first(
    closure: Closure, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    run = _run(closure)
    sen = closure.actor(closure.sen)
    first = _call(closure, run, "cp", MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        calls.call_record(actor=sen, call=first, outcome=Outcome.NO_ANSWER, day=MONDAY)
        # a second failed attempt on the same day is still one day
        again = PlannedCall.objects.get(run=run, is_retry=True)
        calls.call_record(actor=sen, call=again, outcome=Outcome.VOICEMAIL, day=MONDAY)
    assert not Escalation.objects.exists()
    assert escalation.escalations_daily(day=MONDAY)["raised"] == 0
    retry = PlannedCall.objects.filter(run=run, day=TUESDAY).first() or _call(
        closure, run, "cp", TUESDAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        calls.call_record(actor=sen, call=retry, outcome=Outcome.WRONG_NUMBER, day=TUESDAY)
    raised = Escalation.objects.get()
    assert raised.school == closure.school and raised.status == EscalationStatus.OPEN
    assert [a["day"] for a in raised.attempts] == [MONDAY.isoformat(), TUESDAY.isoformat()]
    assert [s.step for s in raised.steps.all()] == [LadderStep.DSL_REVIEW]
    notice = [m for m in mail.outbox if "Not reached on two days" in m.subject]
    assert len(notice) == 1 and notice[0].to == [closure.dsl.email]
    assert "/welfare/escalations/" in notice[0].body
    # the daily job is idempotent
    assert escalation.escalations_daily(day=TUESDAY)["raised"] == 0
    assert Escalation.objects.count() == 1


def test_a_reached_day_resets_the_count(closure: Closure) -> None:
    run = _run(closure)
    sen = closure.actor(closure.sen)
    calls.call_record(
        actor=sen, call=_call(closure, run, "cp", MONDAY), outcome="no_answer", day=MONDAY
    )
    PlannedCall.objects.filter(is_retry=True).delete()
    calls.call_record(
        actor=sen, call=_call(closure, run, "cp", TUESDAY), outcome="parent", day=TUESDAY
    )
    calls.call_record(
        actor=sen, call=_call(closure, run, "cp", WEDNESDAY), outcome="refused", day=WEDNESDAY
    )
    assert not Escalation.objects.exists()


def _escalate(closure: Closure) -> Escalation:
    run = _run(closure)
    sen = closure.actor(closure.sen)
    calls.call_record(
        actor=sen, call=_call(closure, run, "cin", MONDAY), outcome="no_answer", day=MONDAY
    )
    PlannedCall.objects.filter(is_retry=True).delete()
    calls.call_record(
        actor=sen, call=_call(closure, run, "cin", TUESDAY), outcome="no_answer", day=TUESDAY
    )
    return Escalation.objects.get()


def test_the_ladder_moves_on_with_each_step_recorded_until_resolved(closure: Closure) -> None:
    item = _escalate(closure)
    dsl = closure.actor(closure.dsl)
    step = item.steps.get()
    escalation.escalation_step_record(
        actor=dsl, step=step, outcome="Tried all numbers.", resolved=False
    )
    second = item.steps.order_by("-pk").first()
    assert second is not None and second.step == LadderStep.SOCIAL_WORKER
    escalation.escalation_step_record(
        actor=dsl, step=second, outcome="Social worker visited; all well.", resolved=True
    )
    item.refresh_from_db()
    assert item.status == EscalationStatus.CLOSED
    assert [s.resolved for s in item.steps.all()] == [False, True]
    with pytest.raises(WelfareProblem):
        escalation.escalation_step_record(actor=dsl, step=second, outcome="again", resolved=True)


def test_a_step_whose_timer_runs_out_opens_the_next(closure: Closure) -> None:
    item = _escalate(closure)
    later = timezone.now() + dt.timedelta(days=2)
    assert escalation.escalation_timers_run(now=later) == 1
    steps = list(item.steps.order_by("pk"))
    assert [s.step for s in steps] == [LadderStep.DSL_REVIEW, LadderStep.SOCIAL_WORKER]
    assert steps[0].timed_out
    assert escalation.escalation_timers_run(now=later) == 0  # idempotent


def test_the_ladder_is_configurable(closure: Closure) -> None:
    from chaperone.welfare.models import WelfareSettings

    WelfareSettings.objects.create(
        school=closure.school,
        ladder=[{"step": "home_visit", "days": 1}, {"step": "police", "days": 1}],
    )
    item = _escalate(closure)
    assert [s.step for s in item.steps.all()] == [LadderStep.HOME_VISIT]


def test_only_the_dsl_records_steps(closure: Closure) -> None:
    item = _escalate(closure)
    with pytest.raises(PermissionDenied):
        escalation.escalation_step_record(
            actor=closure.actor(closure.teacher), step=item.steps.get(), outcome="x", resolved=True
        )


def _only_mondays(staff) -> None:  # type: ignore[no-untyped-def]
    from chaperone.welfare.models import CallerAvailability

    CallerAvailability.objects.filter(staff=staff).update(days="mon")


def test_a_retry_goes_to_another_qualified_caller_when_the_usual_one_has_no_room(
    closure: Closure,
) -> None:
    from tests.factories import make_staff
    from tests.welfare.conftest import available

    deputy = make_staff(closure.school, "deputy_dsl", first_name="Dev", last_name="Deputy")
    available(deputy, calls=2)
    run = _run(closure)
    call = _call(closure, run, "ehcp", MONDAY)  # weekly tier: a qualified caller only
    _only_mondays(closure.sen)  # the usual caller has no later day
    calls.call_record(
        actor=closure.actor(closure.sen), call=call, outcome=Outcome.NO_ANSWER, day=MONDAY
    )
    retry = PlannedCall.objects.get(run=run, is_retry=True)
    # not the unqualified teacher, nor the other school's pastoral lead: the deputy, next day
    assert (retry.staff_id, retry.day) == (deputy.pk, TUESDAY)


def test_the_same_caller_is_kept_for_a_retry_whenever_they_have_room(closure: Closure) -> None:
    from tests.factories import make_staff
    from tests.welfare.conftest import available

    available(make_staff(closure.school, "deputy_dsl", first_name="Dev", last_name="Deputy"))
    run = _run(closure)
    call = _call(closure, run, "ehcp", MONDAY)
    # the usual caller is full on Tuesday but free on Wednesday: they keep the family
    for family in ("cp", "cin", "plain1", "plain2"):
        _call(closure, run, family, TUESDAY)
    calls.call_record(
        actor=closure.actor(closure.sen), call=call, outcome=Outcome.NO_ANSWER, day=MONDAY
    )
    retry = PlannedCall.objects.get(run=run, is_retry=True)
    assert (retry.staff_id, retry.day) == (closure.sen.pk, WEDNESDAY)


def test_no_unqualified_caller_takes_a_vulnerable_familys_retry(closure: Closure) -> None:
    run = _run(closure)
    call = _call(closure, run, "ehcp", MONDAY)
    _only_mondays(closure.sen)
    calls.call_record(
        actor=closure.actor(closure.sen), call=call, outcome=Outcome.NO_ANSWER, day=MONDAY
    )
    assert not PlannedCall.objects.filter(is_retry=True).exists()
    # a fortnightly family may go to the teacher
    plain = _call(closure, run, "plain1", MONDAY)
    PlannedCall.objects.filter(pk=plain.pk).update(tier=Tier.FORTNIGHTLY)
    plain.refresh_from_db()
    calls.call_record(
        actor=closure.actor(closure.sen), call=plain, outcome=Outcome.NO_ANSWER, day=MONDAY
    )
    retry = PlannedCall.objects.get(is_retry=True)
    assert (retry.staff_id, retry.day) == (closure.teacher.pk, TUESDAY)
