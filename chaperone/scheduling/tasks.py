"""Background tasks of the scheduling app (django-tasks). Arguments are ids only."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def send_consent_requests(session_id: int, requested_by_staff_id: int | None = None) -> int:
    """Email the session's parents and carers their consent links (one message each)."""
    from chaperone.scheduling.consent import consent_requests_send

    with use_context(RequestContext(via="task")):
        return consent_requests_send(
            session_id=session_id, requested_by_staff_id=requested_by_staff_id
        )
