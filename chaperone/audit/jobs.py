"""The audit app's daily job (see :class:`chaperone.core.extensions.DailyJob`)."""

from __future__ import annotations

import datetime as dt

from chaperone.core.extensions import DailyJob


def enqueue_anchor(day: dt.date) -> None:
    from chaperone.audit.tasks import anchor_chains

    anchor_chains.enqueue()


DAILY = [DailyJob("audit.anchor", enqueue_anchor)]
