"""The protocols app's daily job (see :class:`chaperone.core.extensions.DailyJob`): review
reminders and reminders to read a version that came into force."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_reminders(day: dt.date) -> None:
    from chaperone.protocols.reminders import reminders_enqueue_due

    reminders_enqueue_due(day)


DAILY = [DailyJob("protocols.reminders", enqueue_reminders)]
