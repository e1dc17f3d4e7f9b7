"""Background tasks of the welfare app (django-tasks). Arguments are ids and dates only; each
task may run twice without doing the work twice."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from chaperone.core.context import RequestContext, use_context


@task()
def plan_rota(run_id: int) -> str:
    """Plan a queued rota run and store the plan (a run already planned is left alone)."""
    from chaperone.welfare.planning import rota_plan

    with use_context(RequestContext(via="task")):
        run = rota_plan(run_id=run_id)
        return run.status if run is not None else "missing"


@task()
def escalate_unreached(day: str) -> dict[str, int]:
    """Raise the day's escalations and move the ladder steps whose time ran out."""
    from chaperone.welfare.escalation import escalations_daily

    with use_context(RequestContext(via="task")):
        return escalations_daily(day=dt.date.fromisoformat(day))
