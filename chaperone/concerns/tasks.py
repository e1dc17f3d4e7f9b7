"""Background tasks of the concerns app (django-tasks). Arguments are ids only; each task is
idempotent (it acts only if what it does is still to be done)."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def send_concern_alert(concern_id: int, link: str = "") -> int:
    """Email whoever must hear of a new concern (once)."""
    from chaperone.concerns.services import concern_alert_send

    with use_context(RequestContext(via="task")):
        return concern_alert_send(concern_id=concern_id, link=link)


@task()
def escalate_concern(concern_id: int) -> int:
    """Tell the team again, then the headteacher, about an urgent concern nobody acknowledged."""
    from chaperone.concerns.escalation import concern_escalate

    with use_context(RequestContext(via="task")):
        return concern_escalate(concern_id=concern_id)


@task()
def remind_overdue_action(action_id: int) -> bool:
    """Tell an action's owner and the DSL that it is past its due date (once)."""
    from chaperone.concerns.escalation import action_overdue_remind

    with use_context(RequestContext(via="task")):
        return action_overdue_remind(action_id=action_id)
