"""Background tasks of the protocols app (django-tasks). Arguments are ids only."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def send_review_reminder(version_id: int) -> str:
    """E-mail the owner of a protocol version that its review is due (once per window)."""
    from chaperone.protocols.reminders import review_reminder_send

    with use_context(RequestContext(via="task")):
        return review_reminder_send(version_id=version_id)


@task()
def send_out_of_step_notice(mark_id: int) -> str:
    """E-mail a school's head and DSL that a trust version left their additions out of step."""
    from chaperone.protocols.reminders import out_of_step_notice_send

    with use_context(RequestContext(via="task")):
        return out_of_step_notice_send(mark_id=mark_id)


@task()
def send_acknowledgement_reminder(reminder_id: int) -> str:
    """E-mail the staff of a school who have not yet read the protocol in force."""
    from chaperone.protocols.reminders import acknowledgement_reminder_send

    with use_context(RequestContext(via="task")):
        return acknowledgement_reminder_send(reminder_id=reminder_id)
