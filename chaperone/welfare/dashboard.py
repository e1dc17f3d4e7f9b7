"""The welfare app's dashboard cards (see :mod:`chaperone.core.extensions`): a caller's calls
today, and for the DSL the families not reached that wait for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from chaperone.core.extensions import DashboardCard
from chaperone.core.http import ChaperoneRequest
from chaperone.core.prepared import prepared
from chaperone.tenancy.models import School
from chaperone.welfare.calls import LIVE_RUNS
from chaperone.welfare.models import CallStatus, Escalation, EscalationStatus, PlannedCall


@prepared
def _calls_on(staff_id: int, day: dt.date) -> QuerySet[Any, Any]:
    """A caller's calls of ``day`` in live rotas: how many, and how many are still to make (one
    row, or none without calls). Prepared: it is on every caller's dashboard."""
    return (
        PlannedCall.objects.filter(staff_id=staff_id, day=day, run__status__in=LIVE_RUNS)
        .exclude(status=CallStatus.MOVED)
        .values("staff_id")
        .annotate(total=Count("pk"), left=Count("pk", filter=Q(status=CallStatus.PLANNED)))
        .order_by()
    )


def calls_today(request: ChaperoneRequest, school: School | None) -> Mapping[str, Any] | None:
    staff_id = request.actor.staff_id
    if school is None or staff_id is None or not request.actor.can("welfare.call", school.pk):
        return None
    rows = _calls_on(staff_id=staff_id, day=timezone.localdate())
    if not rows or not rows[0]["total"]:
        return None
    return {"total": rows[0]["total"], "left": rows[0]["left"]}


def escalations_waiting(
    request: ChaperoneRequest, school: School | None
) -> Mapping[str, Any] | None:
    if school is None or not request.actor.can("welfare.manage", school.pk):
        return None
    rows = list(
        Escalation.objects.for_actor(request.actor, "welfare.manage")
        .filter(school=school, status=EscalationStatus.OPEN)
        .select_related("household")[:10]
    )
    return {"rows": rows} if rows else None


CARDS = [
    DashboardCard("welfare/_dashboard_escalations.html", escalations_waiting, order=22),
    DashboardCard("welfare/_dashboard_calls.html", calls_today, order=23),
]
