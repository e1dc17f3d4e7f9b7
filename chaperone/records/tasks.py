"""Background tasks of the records app (django-tasks). Arguments are ids only."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def purge_due_records() -> dict[str, Any]:
    """The daily deletion job (``records.purge``): idempotent, so a run killed half-way is
    finished by the next."""
    from chaperone.records.purge import purge_all

    with use_context(RequestContext(via="task")):
        result = purge_all()
    return {
        "deleted": result.deleted,
        "files_deleted": result.files_deleted,
        "files_failed": result.files_failed,
        "certificates": result.certificates,
    }


@task()
def send_sar_reminders(day: str) -> int:
    """Remind the safeguarding team of subject access requests near or past their deadline."""
    import datetime as dt

    from chaperone.records.sar import reminders_send

    with use_context(RequestContext(via="task")):
        return reminders_send(dt.date.fromisoformat(day))
