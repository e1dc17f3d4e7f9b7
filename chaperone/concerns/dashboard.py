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


CARDS = [DashboardCard("concerns/_dashboard.html", _waiting, order=1)]
