"""The school a signed-in person is working in (trust staff switch between schools)."""

from __future__ import annotations

from django.db.models import QuerySet

from chaperone.core.http import AnyRequest
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor

SESSION_KEY = "chaperone_school_id"


def visible_schools(actor: Actor) -> QuerySet[School]:
    return School.objects.filter(id__in=actor.visible_school_ids).select_related("trust")


def request_schools(request: AnyRequest) -> list[School]:
    """The schools the signed-in person may see, fetched once per request (the header's switcher
    and the active school both read it)."""
    if not hasattr(request, "_schools"):
        request._schools = list(visible_schools(request.actor))
    return request._schools


def active_school(request: AnyRequest) -> School | None:
    """The chosen school if the actor may still see it, else their first school."""
    if hasattr(request, "_active_school"):
        return request._active_school
    schools = request_schools(request)
    chosen = request.session.get(SESSION_KEY)
    school = next((s for s in schools if s.pk == chosen), schools[0] if schools else None)
    request._active_school = school
    return school


def set_active_school(request: AnyRequest, school_id: int) -> bool:
    actor = request.actor
    if school_id not in actor.visible_school_ids:
        return False
    request.session[SESSION_KEY] = school_id
    request.__dict__.pop("_active_school", None)
    return True
