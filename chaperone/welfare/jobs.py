"""The welfare app's daily job (see :class:`chaperone.core.extensions.DailyJob`): families not
reached on two days go to the DSL, and escalation steps whose time ran out move on."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_escalations(day: dt.date) -> None:
    from chaperone.welfare.tasks import escalate_unreached

    escalate_unreached.enqueue(day.isoformat())


DAILY = [DailyJob("welfare.escalations", enqueue_escalations)]
