"""Telling people again: an urgent concern nobody acknowledged in time, and actions past their
due date (a referral's timescale among them).

Both are sweeps the scheduler runs (``jobs.py``): they pick what is due and enqueue one task per
item with its id; the task locks the row and acts only if the step is still due, so a sweep run
twice, or a task run twice, tells nobody twice.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chaperone.audit.log import record as audit_record
from chaperone.concerns.models import (
    ActionStatus,
    Concern,
    ConcernAction,
    ConcernEntry,
    ConcernRoute,
    ConcernStatus,
    EntryKind,
    Urgency,
)
from chaperone.concerns.selectors import actions_overdue
from chaperone.tenancy.policies import SYSTEM

#: minutes an urgent concern may wait unacknowledged before the team is told again, and as long
#: again before the headteacher is told
ACKNOWLEDGE_WITHIN_MINUTES_DEFAULT = 30

#: the escalation steps: level reached -> who is told ("who is told" policy actions)
STEPS = {1: "concern.alert", 2: "concern.escalation"}


def acknowledge_within() -> dt.timedelta:
    minutes = getattr(
        settings, "CONCERNS_ACKNOWLEDGE_WITHIN_MINUTES", ACKNOWLEDGE_WITHIN_MINUTES_DEFAULT
    )
    return dt.timedelta(minutes=int(minutes))


def _due_level(concern: Concern, now: dt.datetime) -> int:
    """The escalation level the concern should have reached by ``now``."""
    waited = now - concern.raised_at
    return min(max(STEPS), int(waited / acknowledge_within()))


def escalations_enqueue_due(*, now: dt.datetime | None = None) -> int:
    """Enqueue an escalation for every urgent concern unacknowledged past its next step."""
    from chaperone.concerns.tasks import escalate_concern

    now = now or timezone.now()
    earliest = now - acknowledge_within()
    due = [
        c.pk
        for c in Concern.objects.filter(
            urgency=Urgency.URGENT,
            status=ConcernStatus.NEW,
            acknowledged_at__isnull=True,
            route=ConcernRoute.SAFEGUARDING,
            escalation_level__lt=max(STEPS),
            raised_at__lte=earliest,
        ).only("pk", "raised_at", "escalation_level")
        if _due_level(c, now) > c.escalation_level
    ]
    for concern_id in due:
        escalate_concern.enqueue(concern_id)
    return len(due)


def concern_escalate(*, concern_id: int, now: dt.datetime | None = None) -> int:
    """Move an unacknowledged urgent concern one step on if that step is due: first the team is
    told again, then the headteacher. Returns the level reached (0: nothing was due)."""
    from chaperone.concerns.services import recipients_for
    from chaperone.core.mail import send_email_quietly

    now = now or timezone.now()
    with transaction.atomic():
        concern = (
            Concern.objects.select_for_update()
            .filter(
                pk=concern_id,
                urgency=Urgency.URGENT,
                status=ConcernStatus.NEW,
                acknowledged_at__isnull=True,
                route=ConcernRoute.SAFEGUARDING,
            )
            .first()
        )
        if concern is None or _due_level(concern, now) <= concern.escalation_level:
            return 0
        level = concern.escalation_level + 1
        recipients = recipients_for(concern, STEPS[level])
        concern.escalation_level = level
        concern.save(update_fields=["escalation_level"])
        ConcernEntry.objects.create(
            concern=concern,
            kind=EntryKind.ESCALATED,
            details={"level": level, "to": len(recipients)},
            at=now,
        )
        audit_record(
            "concern.escalated",
            actor=SYSTEM,
            target=concern,
            details={"level": level, "to": len(recipients)},
        )
        concern = Concern.objects.select_related("school", "category").get(pk=concern.pk)
        context = {
            "concern": concern,
            "level": level,
            "waited": int((now - concern.raised_at).total_seconds() // 60),
        }
        addresses = [s.notice_email for s in recipients]
        transaction.on_commit(
            lambda: send_email_quietly("concerns/email/escalation", context, addresses)
        )
    return level


def overdue_enqueue_due(day: dt.date) -> int:
    """Enqueue a reminder for every open action past its due date not yet reminded about."""
    from chaperone.concerns.tasks import remind_overdue_action

    ids = list(actions_overdue(today=day).values_list("pk", flat=True))
    for action_id in ids:
        remind_overdue_action.enqueue(action_id)
    return len(ids)


def action_overdue_remind(*, action_id: int) -> bool:
    """Tell an overdue action's owner and the DSL, once."""
    from chaperone.concerns.services import recipients_for
    from chaperone.core.mail import send_email_quietly

    with transaction.atomic():
        action = (
            ConcernAction.objects.select_for_update()
            .filter(
                pk=action_id,
                status=ActionStatus.OPEN,
                due_on__lt=timezone.localdate(),
                overdue_reminded_at__isnull=True,
            )
            .first()
        )
        if action is None:
            return False
        action = ConcernAction.objects.select_related("concern__school", "owner").get(pk=action.pk)
        concern = action.concern
        to = {action.owner.notice_email}
        if concern.route == ConcernRoute.SAFEGUARDING:
            to |= {s.notice_email for s in recipients_for(concern, "concern.overdue_actions")}
        action.overdue_reminded_at = timezone.now()
        action.save(update_fields=["overdue_reminded_at"])
        audit_record(
            "concern.action_overdue_sent",
            actor=SYSTEM,
            target=concern,
            details={"action": action.pk, "to": len(to - {""})},
        )
        context = {"action": action, "concern": concern}
        addresses = sorted(to - {""})
        transaction.on_commit(
            lambda: send_email_quietly("concerns/email/action_overdue", context, addresses)
        )
    return True
