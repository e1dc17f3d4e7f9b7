"""The concerns app's dashboard card (see :mod:`chaperone.core.extensions`): for whoever
handles concerns at the school, the ones waiting, urgent and unacknowledged first, at the top
of the dashboard."""

from __future__ import annotations

from typing import Any

from chaperone.core.extensions import DashboardCard
from chaperone.core.http import ChaperoneRequest
from chaperone.tenancy.models import School


def _waiting(request: ChaperoneRequest, school: School | None) -> dict[str, Any] | None:
    from chaperone.concerns.selectors import handles_concerns_at, inbox

    if school is None or not handles_concerns_at(request.actor, school.pk):
        return None
    box = inbox(actor=request.actor, school=school, limit=5)
    return {"inbox": box}


def _allegations(request: ChaperoneRequest, school: School | None) -> dict[str, Any] | None:
    from chaperone.concerns.selectors import allegations_board

    if school is None:
        return None
    board = allegations_board(actor=request.actor, school=school)
    return None if board is None else {"board": board}


CARDS = [
    DashboardCard("concerns/_dashboard.html", _waiting, order=1),
    # the chair of governors: the allegations about the headteacher routed to them
    DashboardCard("concerns/_allegations_card.html", _allegations, order=2),
]
