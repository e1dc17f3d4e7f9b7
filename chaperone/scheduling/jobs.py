"""The scheduling app's daily job (see :class:`chaperone.core.extensions.DailyJob`): reminders
the day before a session, and when a session close to its start still has steps open."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_reminders(day: dt.date) -> None:
    from chaperone.scheduling.invitations import reminders_enqueue_due

    reminders_enqueue_due(day)


DAILY = [DailyJob("scheduling.reminders", enqueue_reminders)]
