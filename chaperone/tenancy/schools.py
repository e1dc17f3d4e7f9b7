"""The school a signed-in person is working in (trust staff switch between schools), the one
view guard (:func:`school_for`), and the school's terms (:func:`term_of`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from chaperone.core.http import AnyRequest
from chaperone.core.prepared import prepared
from chaperone.tenancy.models import School, SchoolTerm
from chaperone.tenancy.policies import Actor

SESSION_KEY = "chaperone_school_id"


def visible_schools(actor: Actor) -> QuerySet[School]:
    return _schools_with_trust(actor.visible_school_ids)


def _schools_with_trust(school_ids: Collection[int]) -> QuerySet[School]:
    return School.objects.filter(id__in=school_ids).select_related("trust")


#: Every page asks for them: prepared once per thread and number of schools.
_visible = prepared(_schools_with_trust)


def request_schools(request: AnyRequest) -> list[School]:
    """The schools the signed-in person may see, fetched once per request (the header's switcher
    and the active school both read it)."""
    if not hasattr(request, "_schools"):
        request._schools = _visible(school_ids=request.actor.visible_school_ids)
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


def school_for(request: AnyRequest, action: str) -> School:
    """The school being worked in, if the actor may do ``action`` there. Every view that works
    in "the active school" starts here. No school and no permission get one answer (403), so a
    page never tells someone without a school more than someone without the permission."""
    school = active_school(request)
    if school is None or not request.actor.can(action, school.pk):
        raise PermissionDenied("You do not have access to this in the school you are working in.")
    return school


@dataclass(frozen=True)
class Term:
    """A school term: what it is called and its first and last days."""

    label: str
    starts_on: date
    ends_on: date
    #: the school set these dates (False: the usual English terms stood in)
    set_by_school: bool = False


def usual_term(day: date) -> Term:
    """The usual English term ``day`` falls in, for a school that has set no dates: autumn
    (September to December), spring (January to March) or summer (April to August)."""
    year = day.year
    if day.month >= 9:
        return Term(f"the autumn term {year}", date(year, 9, 1), date(year, 12, 31))
    if day.month <= 3:
        return Term(f"the spring term {year}", date(year, 1, 1), date(year, 3, 31))
    return Term(f"the summer term {year}", date(year, 4, 1), date(year, 8, 31))


def term_of(day: date, *, school_id: int | None = None) -> Term:
    """The term of ``school_id`` that ``day`` falls in: one the school set, else (no dates set,
    or a day in a holiday) the usual term around it."""
    if school_id is not None:
        term = SchoolTerm.objects.filter(
            school_id=school_id, starts_on__lte=day, ends_on__gte=day
        ).first()
        if term is not None:
            return Term(term.name, term.starts_on, term.ends_on, set_by_school=True)
    return usual_term(day)
