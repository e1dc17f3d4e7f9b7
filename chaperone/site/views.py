"""Dashboard, school switcher and health check."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from chaperone.audit.log import record
from chaperone.core.http import ChaperoneRequest
from chaperone.people.models import StaffMember
from chaperone.people.selectors import school_counts, school_counts_by_school
from chaperone.tenancy.roles import Role
from chaperone.tenancy.schools import active_school, request_schools, set_active_school


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
def dashboard(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = active_school(request)
    trust_rows = []
    if actor.is_trust_admin:
        schools = request_schools(request)
        by_school = school_counts_by_school(actor=actor, schools=schools)
        trust_rows = [(s, by_school.get(s.id)) for s in schools]
        counts = by_school.get(school.id) if school else None
    else:
        counts = school_counts(actor=actor, school=school) if school else None
    roles = actor.roles_in(school.id) if school else frozenset()
    return render(
        request,
        "site/dashboard.html",
        {
            "school": school,
            "counts": counts,
            "trust_rows": trust_rows,
            "roles": sorted(Role(r).label for r in roles | actor.trust_roles),
            "emphasise_safeguarding": school is not None
            and actor.can("dashboard.safeguarding_figures", school.id),
            "show_staff_compliance": school is not None
            and actor.can("dashboard.staff_compliance", school.id),
            "needs_conduct_ack": actor.staff_id is not None
            and StaffMember.objects.filter(
                pk=actor.staff_id, code_of_conduct_acknowledged_at__isnull=True
            ).exists(),
        },
    )


@require_POST
def school_switch(request: ChaperoneRequest) -> HttpResponse:
    """Trust staff choose which school they are working in."""
    raw = request.POST.get("school", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    if not raw.isdigit() or not set_active_school(request, int(raw)):
        messages.error(request, "Choose one of your schools.")
        return redirect(target)
    school = active_school(request)
    record("school.switched", actor=request.actor, school_id=school.id if school else None)
    messages.success(request, f"You are now working in {school}.")
    return redirect(target)
