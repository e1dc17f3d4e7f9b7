"""The records app's daily job: delete what is past its retention period (see purge.py)."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_purge(day: dt.date) -> None:
    from chaperone.records.tasks import purge_due_records

    purge_due_records.enqueue()


def enqueue_sar_reminders(day: dt.date) -> None:
    from chaperone.records.tasks import send_sar_reminders

    send_sar_reminders.enqueue(day.isoformat())


DAILY = [
    DailyJob("records.purge", enqueue_purge),
    DailyJob("records.sar_reminders", enqueue_sar_reminders),
]
