"""The people app's dashboard cards (see :mod:`chaperone.core.extensions`): the code of conduct
reminder, the flag changes waiting for the DSL, and the school's (and, for those who may see
them, the trust's) pupil and staff figures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from chaperone.core.extensions import DashboardCard
from chaperone.core.http import ChaperoneRequest
from chaperone.core.prepared import prepared
from chaperone.people.grants import FALLBACK, roles_awaiting_confirmation
from chaperone.people.models import StaffMember
from chaperone.people.selectors import (
    VIEW_SAFEGUARDING_FLAGS,
    pending_flag_change_count,
    school_counts,
    school_counts_by_school,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import request_schools


@prepared
def _conduct_unread(staff_id: int) -> QuerySet[StaffMember, tuple[int]]:
    return StaffMember.objects.filter(
        pk=staff_id, code_of_conduct_acknowledged_at__isnull=True
    ).values_list("pk")[:1]


def conduct_reminder(request: ChaperoneRequest, school: School | None) -> Mapping[str, Any] | None:
    """Shown until the signed-in staff member confirms they read the code of conduct."""
    staff_id = request.actor.staff_id
    unread = staff_id is not None and bool(_conduct_unread(staff_id=staff_id))
    return {} if unread else None


def flag_changes_waiting(
    request: ChaperoneRequest, school: School | None
) -> Mapping[str, Any] | None:
    """For the DSL and deputy DSLs: how many flag changes imports asked for wait for them."""
    if school is None or not request.actor.can("people.confirm_flag_changes", school.id):
        return None
    waiting = pending_flag_change_count(actor=request.actor, school=school)
    return {"waiting": waiting} if waiting else None


def roles_waiting_for_the_dsl(
    request: ChaperoneRequest, school: School | None
) -> Mapping[str, Any] | None:
    """For the DSL of a school where nobody else may confirm a role grant: the grants waiting."""
    actor = request.actor
    if school is None or not actor.can(FALLBACK, school.id):
        return None
    if actor.can("staff.manage_roles", school.id):
        return None  # they have "Roles to confirm" in the navigation
    waiting = roles_awaiting_confirmation(actor=actor, school=school)
    return {"waiting": len(waiting)} if waiting else None


def figures(request: ChaperoneRequest, school: School | None) -> Mapping[str, Any] | None:
    actor = request.actor
    if school is None:
        return None
    trust_rows = []
    if actor.trust_id is not None and actor.can_in_trust("trust.view_figures", actor.trust_id):
        schools = request_schools(request)
        by_school = school_counts_by_school(actor=actor, schools=schools)
        trust_rows = [(s, by_school.get(s.id)) for s in schools]
        counts = by_school.get(school.id)
    else:
        counts = school_counts(actor=actor, school=school)
    if counts is None:
        return None
    return {
        "counts": counts,
        "trust_rows": trust_rows,
        "show_safeguarding_flags": actor.can(VIEW_SAFEGUARDING_FLAGS, school.id),
        "emphasise_safeguarding": actor.can("dashboard.safeguarding_figures", school.id),
        "show_staff_compliance": actor.can("dashboard.staff_compliance", school.id),
    }


CARDS = [
    DashboardCard("people/_dashboard_conduct.html", conduct_reminder, order=10),
    DashboardCard("people/_dashboard_flag_changes.html", flag_changes_waiting, order=20),
    DashboardCard("people/_dashboard_roles_waiting.html", roles_waiting_for_the_dsl, order=25),
    DashboardCard("people/_dashboard_figures.html", figures, order=30),
]
