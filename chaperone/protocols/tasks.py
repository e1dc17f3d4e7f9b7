"""Background tasks of the protocols app (django-tasks). Arguments are ids only."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def send_review_reminder(version_id: int) -> str:
    """E-mail the owner of a protocol version that its review is due (once per window)."""
    from chaperone.protocols.services import reminder_send

    with use_context(RequestContext(via="task")):
        return reminder_send(version_id=version_id)
