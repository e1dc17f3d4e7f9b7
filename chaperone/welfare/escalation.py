"""Families not reached: no contact on two separate days sends the family to the DSL with its
attempt history (email and dashboard), then the school's ladder of steps with timers (DSL review,
social worker informed, home visit, police safe-and-well check), each recorded with its outcome.

:func:`escalations_daily` is the daily job's work; it may run any number of times a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.core.mail import send_email_quietly
from chaperone.people.models import Pupil
from chaperone.people.selectors import staff_to_tell
from chaperone.tenancy.policies import SYSTEM, Actor
from chaperone.welfare.models import (
    LADDER_MAX_DAYS,
    LADDER_MAX_STEPS,
    TIER_ORDER,
    CallLog,
    Escalation,
    EscalationStatus,
    EscalationStep,
    LadderAudience,
    LadderStep,
    WelfareSettings,
    default_ladder,
)
from chaperone.welfare.need import MANAGE, WelfareProblem, pupil_tier

NOTICE = "welfare.escalation_notice"
NOTICE_HEAD = "welfare.escalation_notice_head"
LADDER = "welfare.ladder"
#: separate days without contact that send a family to the DSL
FAILED_DAYS = 2


def failed_days(logs: Sequence[CallLog]) -> list[CallLog]:
    """The attempts since the family was last reached, one per day (the day's last), when no
    attempt that day reached anyone; oldest first."""
    by_day: dict[dt.date, list[CallLog]] = defaultdict(list)
    for entry in logs:
        by_day[entry.day].append(entry)
    reached_days = [d for d, entries in by_day.items() if any(e.reached for e in entries)]
    since = max(reached_days, default=None)
    days = sorted(d for d in by_day if since is None or d > since)
    return [max(by_day[d], key=lambda e: (e.made_at, e.pk)) for d in days]


def _school_for(household_id: int) -> int | None:
    """The school whose DSL handles the family: that of its most needy child."""
    pupils = list(
        Pupil.objects.filter(household_id=household_id, is_active=True).select_related(
            "welfare_need"
        )
    )
    if not pupils:
        return None
    return min(pupils, key=lambda p: (TIER_ORDER.index(pupil_tier(p)), p.pk)).school_id


def ladder_of(school_id: int) -> list[dict[str, Any]]:
    settings = WelfareSettings.objects.filter(school_id=school_id).first()
    ladder = settings.ladder if settings else default_ladder()
    return [s for s in ladder if s.get("step") in LadderStep.values] or default_ladder()


def ladder_check(steps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ladder ``steps`` as stored (``step``, ``days``, ``tell``), or a :class:`WelfareProblem`
    naming the field (``step_<n>``, ``days_<n>``, ``tell_<n>``, counting from 1) that is wrong."""
    if not steps:
        raise WelfareProblem("step_1", "Step 1: a ladder needs at least one step.")
    if len(steps) > LADDER_MAX_STEPS:
        raise WelfareProblem(
            f"step_{LADDER_MAX_STEPS + 1}",
            f"Steps: a ladder has at most {LADDER_MAX_STEPS} steps.",
        )
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, entry in enumerate(steps, start=1):
        step = str(entry.get("step", ""))
        if step not in LadderStep.values:
            raise WelfareProblem(f"step_{n}", f"Step {n}: '{step}' is not a step; choose one.")
        if step in seen:
            raise WelfareProblem(
                f"step_{n}", f"Step {n}: {LadderStep(step).label} is already an earlier step."
            )
        seen.add(step)
        try:
            days = int(entry.get("days", ""))
        except (TypeError, ValueError):
            raise WelfareProblem(
                f"days_{n}", f"Step {n}, after how many days: give a whole number of days."
            ) from None
        if not 1 <= days <= LADDER_MAX_DAYS:
            raise WelfareProblem(
                f"days_{n}",
                f"Step {n}, after how many days: between 1 and {LADDER_MAX_DAYS} days.",
            )
        tell = [str(t) for t in entry.get("tell", [])]
        unknown = [t for t in tell if t not in LadderAudience.values]
        if unknown:
            raise WelfareProblem(
                f"tell_{n}", f"Step {n}, who is told: '{unknown[0]}' is not someone we can tell."
            )
        if not tell:
            raise WelfareProblem(f"tell_{n}", f"Step {n}, who is told: choose at least one.")
        clean.append({"step": step, "days": days, "tell": sorted(set(tell))})
    return clean


def ladder_set(*, actor: Actor, school_id: int, steps: Sequence[dict[str, Any]]) -> WelfareSettings:
    """Save the school's own ladder (used for escalations raised from now on; open ones keep
    the ladder they were raised with)."""
    if not actor.can(LADDER, school_id):
        raise PermissionDenied("Only the school's DSL changes its escalation ladder.")
    clean = ladder_check(steps)
    with transaction.atomic():
        current, _ = WelfareSettings.objects.select_for_update().get_or_create(school_id=school_id)
        before = ladder_of(school_id)
        current.ladder = clean
        current.save(update_fields=["ladder"])
        record(
            "welfare.ladder_changed",
            actor=actor,
            target=current,
            details={"before": before, "after": clean},
        )
    return current


def escalations_raise_due(
    *, day: dt.date, household_ids: Sequence[int] | None = None
) -> list[Escalation]:
    """Raise an escalation for each family (of ``household_ids``, or all) with attempts on
    :data:`FAILED_DAYS` separate days, up to ``day``, that reached nobody, and no open
    escalation. Idempotent."""
    logs = CallLog.objects.filter(day__lte=day).select_related("caller").order_by("made_at", "pk")
    if household_ids is not None:
        logs = logs.filter(household_id__in=household_ids)
    open_ids = set(
        Escalation.objects.filter(status=EscalationStatus.OPEN).values_list(
            "household_id", flat=True
        )
    )
    by_household: dict[int, list[CallLog]] = defaultdict(list)
    for entry in logs:
        if entry.household_id not in open_ids:
            by_household[entry.household_id].append(entry)
    raised: list[Escalation] = []
    for household_id, entries in sorted(by_household.items()):
        failed = failed_days(entries)
        if len(failed) < FAILED_DAYS:
            continue
        # a family escalated and closed is raised again only for failures after the closing
        closed = (
            Escalation.objects.filter(household_id=household_id, status=EscalationStatus.CLOSED)
            .order_by("-closed_at")
            .values_list("closed_at", flat=True)
            .first()
        )
        if closed is not None:
            failed = [e for e in failed if e.made_at > closed]
            if len(failed) < FAILED_DAYS:
                continue
        school_id = _school_for(household_id)
        if school_id is None:
            continue
        escalation = _raise(household_id, school_id, failed)
        if escalation is not None:
            raised.append(escalation)
    return raised


def _raise(household_id: int, school_id: int, failed: list[CallLog]) -> Escalation | None:
    ladder = ladder_of(school_id)
    attempts = [
        {
            "day": e.day.isoformat(),
            "outcome": e.get_outcome_display(),
            "caller": e.caller.full_name,
            "notes": e.notes[:200],
        }
        for e in failed
    ]
    now = timezone.now()
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                household_id=household_id,
                school_id=school_id,
                attempts=attempts,
                ladder=ladder,
                raised_at=now,
            )
            _open_step(escalation, 0, now)
            record(
                "welfare.escalation_raised",
                actor=SYSTEM,
                target=escalation,
                details={"failed_days": len(failed)},
            )
            escalation_id = escalation.pk
            transaction.on_commit(lambda: escalation_notice_send(escalation_id=escalation_id))
    except IntegrityError:  # raised meanwhile by another run of the job
        return None
    return escalation


def _open_step(escalation: Escalation, index: int, now: dt.datetime) -> EscalationStep | None:
    ladder = escalation.ladder
    if index >= len(ladder):
        return None
    entry = ladder[index]
    step = EscalationStep.objects.create(
        escalation=escalation,
        step=str(entry["step"]),
        opened_at=now,
        due_at=now + dt.timedelta(days=int(str(entry.get("days", 1)))),
    )
    tell = [str(t) for t in entry.get("tell", [])]
    if index == 0:  # the DSL and deputies have the escalation's own notice
        tell = [t for t in tell if t != LadderAudience.SAFEGUARDING]
    if tell:
        step_id = step.pk
        transaction.on_commit(lambda: step_notice_send(step_id=step_id, tell=tell))
    return step


def _audience(escalation: Escalation, tell: Sequence[str]) -> list[str]:
    people = []
    if LadderAudience.SAFEGUARDING in tell:
        people += staff_to_tell(action=NOTICE, school_id=escalation.school_id)
    if LadderAudience.HEAD in tell:
        people += staff_to_tell(action=NOTICE_HEAD, school_id=escalation.school_id)
    if LadderAudience.CALLERS in tell:
        callers = (
            CallLog.objects.filter(household_id=escalation.household_id, caller__is_active=True)
            .exclude(caller__email="")
            .select_related("caller__user")
        )
        people += [c.caller for c in callers]
    return sorted({p.notice_email for p in people if p.notice_email})


def step_notice_send(*, step_id: int, tell: Sequence[str]) -> int:
    """Email who the ladder says is told that a step opened; returns how many were written to."""
    step = (
        EscalationStep.objects.select_related("escalation__household", "escalation__school")
        .filter(pk=step_id)
        .first()
    )
    if step is None:
        return 0
    to = _audience(step.escalation, tell)
    context = {
        "escalation": step.escalation,
        "step": step,
        "link": settings.CHAPERONE_BASE_URL.rstrip("/")
        + reverse("welfare:escalation", kwargs={"pk": step.escalation_id}),
    }
    if not to or not send_email_quietly("welfare/email/escalation_step", context, to):
        return 0
    record(
        "welfare.escalation_step_notice_sent",
        actor=SYSTEM,
        target=step.escalation,
        details={"step": step.step, "to": len(to), "tell": list(tell)},
    )
    return len(to)


def escalation_notice_send(*, escalation_id: int) -> bool:
    """Email the school's DSL and deputies about the escalation, once."""
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update()
            .select_related("household", "school")
            .filter(pk=escalation_id, notice_sent_at__isnull=True)
            .first()
        )
        if escalation is None:
            return False
        to = [s.notice_email for s in staff_to_tell(action=NOTICE, school_id=escalation.school_id)]
        context = {
            "escalation": escalation,
            "link": settings.CHAPERONE_BASE_URL.rstrip("/")
            + reverse("welfare:escalation", kwargs={"pk": escalation.pk}),
        }
        if not to or not send_email_quietly("welfare/email/escalation", context, to):
            return False
        escalation.notice_sent_at = timezone.now()
        escalation.save(update_fields=["notice_sent_at"])
        record(
            "welfare.escalation_notice_sent",
            actor=SYSTEM,
            target=escalation,
            details={"to": len(to)},
        )
    return True


def escalation_timers_run(*, now: dt.datetime) -> int:
    """Open the next step of every escalation whose current step's time ran out with no
    outcome recorded; returns how many moved. Idempotent."""
    moved = 0
    due = EscalationStep.objects.filter(
        done_at__isnull=True, due_at__lte=now, escalation__status=EscalationStatus.OPEN
    ).select_related("escalation")
    for step in due:
        with transaction.atomic():
            step.done_at = now
            step.timed_out = True
            step.outcome = "No outcome was recorded before the step's time ran out."
            step.save()
            index = _index_of(step)
            _open_step(step.escalation, index + 1, now)
            record(
                "welfare.escalation_step_timed_out",
                actor=SYSTEM,
                target=step.escalation,
                details={"step": step.step},
            )
            moved += 1
    return moved


def _index_of(step: EscalationStep) -> int:
    return EscalationStep.objects.filter(escalation_id=step.escalation_id, pk__lt=step.pk).count()


def escalation_step_record(
    *, actor: Actor, step: EscalationStep, outcome: str, resolved: bool
) -> EscalationStep:
    """Record what came of the current step: ``resolved`` closes the escalation (the family is
    safe), otherwise the next step of the ladder opens with its timer."""
    escalation = step.escalation
    if not actor.can(MANAGE, escalation.school_id):
        raise PermissionDenied("Only the school's DSL records the steps of an escalation.")
    if step.done_at is not None or escalation.status != EscalationStatus.OPEN:
        raise WelfareProblem("step", "Step: this step is already recorded.")
    outcome = outcome.strip()
    if not outcome:
        raise WelfareProblem("outcome", "Outcome: say what happened at this step.")
    now = timezone.now()
    with transaction.atomic():
        step.done_at = now
        step.done_by_id = actor.staff_id
        step.outcome = outcome
        step.resolved = resolved
        step.save()
        if not resolved:
            _open_step(escalation, _index_of(step) + 1, now)
        if resolved:
            escalation.status = EscalationStatus.CLOSED
            escalation.closed_at = now
            escalation.save(update_fields=["status", "closed_at"])
        record(
            "welfare.escalation_step_recorded",
            actor=actor,
            target=escalation,
            details={"step": step.step, "resolved": resolved},
        )
    return step


def escalations_daily(*, day: dt.date) -> dict[str, int]:
    """The daily job: raise the escalations due, then move steps whose time ran out."""
    raised = escalations_raise_due(day=day)
    moved = escalation_timers_run(now=timezone.now())
    return {"raised": len(raised), "moved": moved}
