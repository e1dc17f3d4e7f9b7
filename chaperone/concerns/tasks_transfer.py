"""Background task of the child protection file transfer (django-tasks): ids only, idempotent
(a transfer is reminded about once a day at most, and never once its receipt is recorded)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def remind_transfer(transfer_id: int, day: str) -> bool:
    from chaperone.concerns.transfer import transfer_remind

    with use_context(RequestContext(via="task")):
        return transfer_remind(transfer_id=transfer_id, day=dt.date.fromisoformat(day))
