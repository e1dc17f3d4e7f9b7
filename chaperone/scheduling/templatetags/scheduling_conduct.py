"""``{% conduct_for session as run %}``: what the session page shows of the call (the answers
given at its start, attendance, its log) and whether the person looking runs it, read in a
fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from chaperone.scheduling.conduct import Attendance, SessionLog, StartCheck, may_run
from chaperone.scheduling.models import Session, SessionState

register = template.Library()


@dataclass(frozen=True)
class CallShown:
    runs: bool
    checks: list[StartCheck]
    attendance: list[Attendance]
    log: SessionLog | None


@register.simple_tag(takes_context=True)
def conduct_for(context: Any, session: Session) -> CallShown:
    request = context.get("request")
    actor = getattr(request, "actor", None)
    runs = actor is not None and may_run(actor, session)
    if session.state == SessionState.PLANNED:
        return CallShown(runs, [], [], None)
    return CallShown(
        runs=runs,
        checks=list(StartCheck.objects.filter(session=session)),
        attendance=list(Attendance.objects.filter(session=session).select_related("pupil")),
        log=SessionLog.objects.filter(session=session).select_related("written_by").first(),
    )
