"""The welfare app's dashboard cards (see :mod:`chaperone.core.extensions`): a caller's calls
today, and for the DSL the families not reached that wait for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from chaperone.core.extensions import DashboardCard
from chaperone.core.http import ChaperoneRequest
from chaperone.tenancy.models import School
from chaperone.welfare.calls import LIVE_RUNS
from chaperone.welfare.models import CallStatus, Escalation, EscalationStatus, PlannedCall


def calls_today(request: ChaperoneRequest, school: School | None) -> Mapping[str, Any] | None:
    staff_id = request.actor.staff_id
    if school is None or staff_id is None or not request.actor.can("welfare.call", school.pk):
        return None
    calls = PlannedCall.objects.filter(
        staff_id=staff_id, day=timezone.localdate(), run__status__in=LIVE_RUNS
    ).exclude(status=CallStatus.MOVED)
    total = calls.count()
    if not total:
        return None
    return {"total": total, "left": calls.filter(status=CallStatus.PLANNED).count()}


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
