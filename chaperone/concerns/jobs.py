"""The concerns app's scheduled jobs (see :mod:`chaperone.core.extensions`): urgent concerns
nobody acknowledged, at every check; actions past their due date, once a day."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob, TickJob


def enqueue_escalations(now: dt.datetime) -> None:
    from chaperone.concerns.escalation import escalations_enqueue_due

    escalations_enqueue_due(now=now)


def enqueue_overdue_reminders(day: dt.date) -> None:
    from chaperone.concerns.escalation import overdue_enqueue_due

    overdue_enqueue_due(day)


DAILY = [DailyJob("concerns.overdue_actions", enqueue_overdue_reminders)]
EVERY_TICK = [TickJob("concerns.escalations", enqueue_escalations)]


def enqueue_transfer_reminders(day: dt.date) -> None:
    from chaperone.concerns.transfer import transfer_reminders_enqueue

    transfer_reminders_enqueue(day)


# the child protection file of a pupil who left, until the new school confirms receipt
DAILY.append(DailyJob("concerns.transfer_reminders", enqueue_transfer_reminders))
