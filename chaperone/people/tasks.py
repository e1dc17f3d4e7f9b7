"""Background tasks of the people app (django-tasks). Arguments are ids only."""

from __future__ import annotations

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def send_flag_changes_notice(school_id: int) -> int:
    """Email the school's DSL and deputy DSLs that flag changes wait for their confirmation."""
    from chaperone.people.services import flag_confirmers_notify

    with use_context(RequestContext(via="task")):
        return flag_confirmers_notify(school_id=school_id)
