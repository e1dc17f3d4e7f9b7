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
    TIER_ORDER,
    CallLog,
    Escalation,
    EscalationStatus,
    EscalationStep,
    LadderStep,
    WelfareSettings,
    default_ladder,
)
from chaperone.welfare.need import MANAGE, WelfareProblem, pupil_tier

NOTICE = "welfare.escalation_notice"
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
    return EscalationStep.objects.create(
        escalation=escalation,
        step=str(entry["step"]),
        opened_at=now,
        due_at=now + dt.timedelta(days=int(str(entry.get("days", 1)))),
    )


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
