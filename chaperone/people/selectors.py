"""Reads of people, always scoped to what the actor may see."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from chaperone.people.models import (
    Contact,
    Household,
    Pupil,
    SocialCareStatus,
    StaffAssignment,
    StaffMember,
)
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import Actor
from chaperone.tenancy.querysets import get_for_actor_or_404


@dataclass(frozen=True)
class SchoolCounts:
    pupils: int
    vulnerable: int
    ehcp: int
    sen_support: int
    child_protection: int
    child_in_need: int
    looked_after: int
    households: int
    staff: int
    staff_without_dbs: int
    staff_without_conduct_ack: int


PUPIL_FIGURES = {
    "pupils": Count("id"),
    "vulnerable": Count("id", filter=Q(is_vulnerable=True)),
    "ehcp": Count("id", filter=Q(has_ehcp=True)),
    "sen_support": Count("id", filter=Q(has_sen=True)),
    "child_protection": Count("id", filter=Q(social_care_status=SocialCareStatus.CP)),
    "child_in_need": Count("id", filter=Q(social_care_status=SocialCareStatus.CIN)),
    "looked_after": Count("id", filter=Q(is_looked_after=True)),
    "households": Count("household", distinct=True),
}
STAFF_FIGURES = {
    "staff": Count("id", distinct=True),
    "staff_without_dbs": Count("id", filter=Q(dbs_checked_on__isnull=True), distinct=True),
    "staff_without_conduct_ack": Count(
        "id", filter=Q(code_of_conduct_acknowledged_at__isnull=True), distinct=True
    ),
}


def school_counts_by_school(*, actor: Actor, schools: Sequence[School]) -> dict[int, SchoolCounts]:
    """Headline figures for each school the actor may see, in two grouped queries whatever the
    number of schools (a trust's dashboard)."""
    ids = [s.id for s in schools if actor.can("dashboard.view", s.id)]
    if not ids:
        return {}
    pupils = {
        sid: dict(zip(PUPIL_FIGURES, figures, strict=True))
        for sid, *figures in Pupil.objects.filter(school_id__in=ids, is_active=True)
        .values("school_id")
        .annotate(**PUPIL_FIGURES)
        .values_list("school_id", *PUPIL_FIGURES)
        .order_by()
    }
    staff = {
        sid: dict(zip(STAFF_FIGURES, figures, strict=True))
        for sid, *figures in StaffMember.objects.filter(
            assignments__school_id__in=ids, is_active=True
        )
        .values("assignments__school_id")
        .annotate(**STAFF_FIGURES)
        .values_list("assignments__school_id", *STAFF_FIGURES)
        .order_by()
    }
    none_p = dict.fromkeys(PUPIL_FIGURES, 0)
    none_s = dict.fromkeys(STAFF_FIGURES, 0)
    return {sid: SchoolCounts(**pupils.get(sid, none_p), **staff.get(sid, none_s)) for sid in ids}


def school_counts(*, actor: Actor, school: School) -> SchoolCounts | None:
    """Headline figures for one school, in two queries; None if the actor may not see it."""
    return school_counts_by_school(actor=actor, schools=[school]).get(school.id)


def pupil_list(
    *,
    actor: Actor,
    school: School,
    search: str = "",
    year_group: int | None = None,
    flag: str = "",
) -> QuerySet[Pupil]:
    qs = Pupil.objects.for_actor(actor, "pupil.view").filter(school=school, is_active=True)
    if search:
        terms = search.split()
        for term in terms:
            qs = qs.filter(
                Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(preferred_name__icontains=term)
                | Q(upn__iexact=term)
            )
    if year_group is not None:
        qs = qs.filter(year_group=year_group)
    flag_filters = {
        "vulnerable": Q(is_vulnerable=True),
        "ehcp": Q(has_ehcp=True),
        "sen": Q(has_sen=True),
        "cp": Q(social_care_status=SocialCareStatus.CP),
        "cin": Q(social_care_status=SocialCareStatus.CIN),
        "lac": Q(is_looked_after=True),
    }
    if flag in flag_filters:
        qs = qs.filter(flag_filters[flag])
    return qs.order_by("last_name", "first_name", "id")


def pupil_get(*, actor: Actor, pupil_id: int) -> Pupil:
    return get_for_actor_or_404(
        Pupil.objects.select_related("school", "household"), actor, "pupil.view", pk=pupil_id
    )


def pupil_siblings(*, actor: Actor, pupil: Pupil) -> QuerySet[Pupil]:
    """Other children of the household whom the actor may see (possibly at other trust schools)."""
    if pupil.household_id is None:
        return Pupil.objects.none()
    return (
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(household_id=pupil.household_id)
        .exclude(pk=pupil.pk)
        .select_related("school")
    )


def household_contacts(*, actor: Actor, household: Household) -> QuerySet[Contact]:
    return Contact.objects.for_actor(actor, "household.view").filter(household=household)


def household_get(*, actor: Actor, household_id: int) -> Household:
    return get_for_actor_or_404(Household.objects.all(), actor, "household.view", pk=household_id)


def household_pupils(*, actor: Actor, household: Household) -> QuerySet[Pupil]:
    return (
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(household=household)
        .select_related("school")
    )


def staff_list(*, actor: Actor, school: School, search: str = "") -> QuerySet[StaffMember]:
    qs = StaffMember.objects.for_actor(actor, "staff.view").filter(
        assignments__school=school, is_active=True
    )
    if search:
        qs = qs.filter(Q(first_name__icontains=search) | Q(last_name__icontains=search))
    return qs.distinct().order_by("last_name", "first_name", "id")


def staff_get(*, actor: Actor, staff_id: int) -> StaffMember:
    return get_for_actor_or_404(StaffMember.objects.all(), actor, "staff.view", pk=staff_id)


def staff_self(*, actor: Actor) -> StaffMember:
    """The signed-in person's own staff record (trust staff may hold no school role)."""
    return get_object_or_404(StaffMember, pk=actor.staff_id, is_active=True)


def staff_roles_by_school(*, actor: Actor, staff: StaffMember) -> QuerySet[StaffAssignment]:
    visible = actor.school_ids_for("staff.view")
    return (
        StaffAssignment.objects.filter(staff=staff)
        .filter(Q(school_id__in=visible) | Q(school__isnull=True))
        .select_related("school")
        .order_by("school__name", "role")
    )
