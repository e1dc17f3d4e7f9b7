"""The scheduling app's daily job (see :class:`chaperone.core.extensions.DailyJob`): reminders
the day before a session, and when a session close to its start still has steps open."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_reminders(day: dt.date) -> None:
    from chaperone.scheduling.invitations import reminders_enqueue_due

    reminders_enqueue_due(day)


def enqueue_meetings(day: dt.date) -> None:
    """Try again the meetings a platform refused or could not make (ids only, after commit)."""
    from functools import partial

    from django.db import transaction

    from chaperone.scheduling.invitations import send_invitations
    from chaperone.scheduling.meetings import meetings_due

    for session_id in meetings_due(day):
        transaction.on_commit(partial(send_invitations.enqueue, session_id), robust=True)


DAILY = [
    DailyJob("scheduling.reminders", enqueue_reminders),
    DailyJob("scheduling.meetings", enqueue_meetings),
]
