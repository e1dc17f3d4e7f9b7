"""The parents' side of a session on its page (sessions: parents): who is asked, what each
pupil's parents answered, and the host's actions."""

from __future__ import annotations

from typing import Any

from django import template

from chaperone.scheduling import consent
from chaperone.scheduling.models import Session, StepKind, StepState
from chaperone.scheduling.services import consent_accepts_implied

register = template.Library()


@register.inclusion_tag("scheduling/parent_panel_body.html")
def parent_panel(session: Session, manages: bool) -> dict[str, Any]:
    step = next((s for s in session.steps.all() if s.kind == StepKind.CONSENT), None)
    deciding = consent.consent_for(session)
    waiting = step is not None and step.state != StepState.DONE and not session.is_cancelled
    return {
        "session": session,
        "step": step,
        "manages": manages,
        "waiting": waiting,
        "answers": [(p, deciding.get(p.pk)) for p in session.pupils.all()],
        "recipients": consent.recipients(session) if step is not None else [],
        "implied_ok": waiting and manages and consent_accepts_implied(session),
    }
