"""Reads of people, always scoped to what the actor may see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.http import Http404

from chaperone.audit.log import record, record_read
from chaperone.core.prepared import prepared
from chaperone.people.models import (
    Contact,
    FlagChangeStatus,
    Household,
    PendingFlagChange,
    Pupil,
    SocialCareStatus,
    StaffAssignment,
    StaffMember,
)
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import TRUST_ROLES, Actor, roles_with, stand_in_for
from chaperone.tenancy.querysets import get_for_actor_or_404

M = TypeVar("M", bound=Model)

#: who may see which pupils are vulnerable, on a child protection plan, in need or looked after
VIEW_SAFEGUARDING_FLAGS = "people.view_safeguarding_flags"
#: who may see staff members' DBS check dates
VIEW_DBS = "staff.view_dbs"


@dataclass(frozen=True)
class SchoolCounts:
    """A school's headline figures; the safeguarding ones are None for those who may not see
    them."""

    pupils: int
    vulnerable: int | None
    ehcp: int
    sen_support: int
    child_protection: int | None
    child_in_need: int | None
    looked_after: int | None
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
#: Counted over a school's assignments: a person with two roles there counts once. ("staff"
#: comes last: once it names a figure, ``staff__…`` in a later filter would mean the figure.)
SAFEGUARDING_FIGURES = ("vulnerable", "child_protection", "child_in_need", "looked_after")
STAFF_FIGURES = {
    "staff_without_dbs": Count(
        "staff_id", filter=Q(staff__dbs_checked_on__isnull=True), distinct=True
    ),
    "staff_without_conduct_ack": Count(
        "staff_id", filter=Q(staff__code_of_conduct_acknowledged_at__isnull=True), distinct=True
    ),
    "staff": Count("staff_id", distinct=True),
}


#: The two figure queries, prepared (chaperone/core/prepared.py): composing eleven filtered
#: aggregates costs far more than running them, and the dashboard asks on every request.
@prepared
def _pupil_counts(school_ids: Sequence[int]) -> QuerySet[Pupil]:
    return (
        Pupil.objects.filter(is_active=True, school_id__in=school_ids)
        .values("school_id")
        .annotate(**PUPIL_FIGURES)
        .values_list("school_id", *PUPIL_FIGURES)
        .order_by()
    )


@prepared
def _staff_counts(school_ids: Sequence[int]) -> QuerySet[StaffAssignment]:
    return (
        StaffAssignment.objects.filter(staff__is_active=True, school_id__in=school_ids)
        .values("school_id")
        .annotate(**STAFF_FIGURES)
        .values_list("school_id", *STAFF_FIGURES)
        .order_by()
    )


def school_counts_by_school(*, actor: Actor, schools: Sequence[School]) -> dict[int, SchoolCounts]:
    """Headline figures for each school the actor may see, in two grouped queries whatever the
    number of schools (a trust's dashboard)."""
    ids = [s.id for s in schools if actor.can("dashboard.view", s.id)]
    if not ids:
        return {}
    pupils = {
        sid: dict(zip(PUPIL_FIGURES, figures, strict=True))
        for sid, *figures in _pupil_counts(school_ids=ids)
    }
    staff = {
        sid: dict(zip(STAFF_FIGURES, figures, strict=True))
        for sid, *figures in _staff_counts(school_ids=ids)
    }
    none_p = dict.fromkeys(PUPIL_FIGURES, 0)
    none_s = dict.fromkeys(STAFF_FIGURES, 0)
    hidden = dict.fromkeys(SAFEGUARDING_FIGURES, None)
    return {
        sid: SchoolCounts(
            **{
                **pupils.get(sid, none_p),
                **({} if actor.can(VIEW_SAFEGUARDING_FLAGS, sid) else hidden),
            },
            **staff.get(sid, none_s),
        )
        for sid in ids
    }


def school_counts(*, actor: Actor, school: School) -> SchoolCounts | None:
    """Headline figures for one school, in two queries; None if the actor may not see it."""
    return school_counts_by_school(actor=actor, schools=[school]).get(school.id)


#: the pupil list's "show only" filters: value -> (label, condition)
PUPIL_FLAGS: dict[str, tuple[str, Q]] = {
    "vulnerable": ("Vulnerable", Q(is_vulnerable=True)),
    "cp": ("Child protection plan", Q(social_care_status=SocialCareStatus.CP)),
    "cin": ("Child in need", Q(social_care_status=SocialCareStatus.CIN)),
    "lac": ("Looked after", Q(is_looked_after=True)),
    "ehcp": ("EHCP", Q(has_ehcp=True)),
    "sen": ("SEN support", Q(has_sen=True)),
}
SAFEGUARDING_FLAGS = frozenset({"vulnerable", "cp", "cin", "lac"})


def pupil_filter_flags(*, actor: Actor, school: School) -> dict[str, str]:
    """The filters the actor may use on the school's pupils (value -> label). Filtering on a
    safeguarding flag would show who has it, so only those who may see the flags get those."""
    sees_flags = actor.can(VIEW_SAFEGUARDING_FLAGS, school.id)
    return {
        value: label
        for value, (label, _) in PUPIL_FLAGS.items()
        if sees_flags or value not in SAFEGUARDING_FLAGS
    }


def pupil_list(
    *,
    actor: Actor,
    school: School,
    search: str = "",
    year_group: int | None = None,
    flag: str = "",
) -> QuerySet[Pupil]:
    """The school's pupils, searched and filtered; a filter the actor may not use is ignored."""
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
    if flag in pupil_filter_flags(actor=actor, school=school):
        qs = qs.filter(PUPIL_FLAGS[flag][1])
    return qs.order_by("last_name", "first_name", "id")


def list_page_for_viewing(
    action: str,
    *,
    actor: Actor,
    school: School,
    queryset: QuerySet[M],
    page: str | None,
    page_size: int,
    filters: Mapping[str, object],
) -> Page[M]:
    """One page of a list of people, and the audited read of it: a list is read like a record,
    so the log says who looked, with which filters (those in use), at which page and how many
    rows."""
    shown = Paginator(queryset, page_size).get_page(page)
    used = {name: value for name, value in filters.items() if value not in ("", None)}
    record(
        action,
        actor=actor,
        school_id=school.id,
        trust_id=school.trust_id,
        details={**used, "page": shown.number, "shown": len(shown.object_list)},
    )
    return shown


def pupil_get_for_viewing(*, actor: Actor, pupil_id: int) -> Pupil:
    """A pupil's record, within the actor's scope (else 404), and the audited read of it."""
    pupil = get_for_actor_or_404(
        Pupil.objects.select_related("school", "household"), actor, "pupil.view", pk=pupil_id
    )
    record_read("pupil.viewed", actor=actor, target=pupil)
    return pupil


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


def household_pupils(*, actor: Actor, household: Household) -> QuerySet[Pupil]:
    return (
        Pupil.objects.for_actor(actor, "pupil.view")
        .filter(household=household)
        .select_related("school")
    )


def household_get_for_viewing(
    *, actor: Actor, household_id: int, from_school: School | None
) -> tuple[Household, list[Pupil]]:
    """A household and those of its children the actor may see, within the actor's scope (else
    404), and the audited read. Households belong to the trust; the read is filed under the
    school the viewer reached it from (``from_school``) when a child is there, so that school's
    DSL sees it in their audit log, else under the first child's school."""
    household = get_for_actor_or_404(
        Household.objects.all(), actor, "household.view", pk=household_id
    )
    pupils = list(household_pupils(actor=actor, household=household))
    pupil_schools = {p.school_id for p in pupils}
    school_id = (
        from_school.id
        if from_school is not None and from_school.id in pupil_schools
        else min(pupil_schools, default=None)
    )
    record_read("household.viewed", actor=actor, target=household, school_id=school_id)
    return household, pupils


def staff_list(*, actor: Actor, school: School, search: str = "") -> QuerySet[StaffMember]:
    """The school's active staff, each with ``roles_here``: their assignments in this school and
    across the trust (never another school's)."""
    qs = StaffMember.objects.for_actor(actor, "staff.view").filter(
        assignments__school=school, is_active=True
    )
    if search:
        qs = qs.filter(Q(first_name__icontains=search) | Q(last_name__icontains=search))
    roles_here = Prefetch(
        "assignments",
        queryset=StaffAssignment.objects.filter(Q(school=school) | Q(school__isnull=True)).order_by(
            "pk"
        ),
        to_attr="roles_here",
    )
    return qs.distinct().prefetch_related(roles_here).order_by("last_name", "first_name", "id")


def staff_get_for_viewing(
    *, actor: Actor, staff_id: int, from_school: School | None = None
) -> StaffMember:
    """A staff member's record, within the actor's scope (else 404), and the audited read. Staff
    belong to the trust; the read is filed under the school the viewer was working in
    (``from_school``) when the staff member works there, so that school's DSL and head see it,
    else under the trust (every school of it sees it)."""
    staff = get_for_actor_or_404(StaffMember.objects.all(), actor, "staff.view", pk=staff_id)
    school_id = None
    if from_school is not None and staff.assignments.filter(school=from_school).exists():
        school_id = from_school.pk
    record_read("staff.viewed", actor=actor, target=staff, school_id=school_id)
    return staff


def staff_dbs_visible(*, actor: Actor, staff: StaffMember) -> bool:
    """May the actor see this staff member's DBS check date (they keep the records of a school
    where the person works, or of their trust)?"""
    if actor.is_trust_admin and staff.trust_id == actor.trust_id:
        return True
    return StaffAssignment.objects.filter(
        staff=staff, school_id__in=actor.school_ids_for(VIEW_DBS)
    ).exists()


def staff_self(*, actor: Actor) -> StaffMember:
    """The signed-in person's own staff record (everyone may see it: an object rule in
    :mod:`chaperone.people.models`, since trust staff may hold no school role)."""
    return get_for_actor_or_404(
        StaffMember.objects.filter(is_active=True), actor, "staff.view", pk=actor.staff_id
    )


def staff_roles_by_school(*, actor: Actor, staff: StaffMember) -> QuerySet[StaffAssignment]:
    visible = actor.school_ids_for("staff.view")
    return (
        StaffAssignment.objects.filter(staff=staff)
        .filter(Q(school_id__in=visible) | Q(school__isnull=True))
        .select_related("school")
        .order_by("school__name", "role")
    )


def staff_with_permission(*, action: str, school: School) -> QuerySet[StaffMember]:
    """The active staff who may do ``action`` in ``school`` (whom to tell about something there):
    holders of a role with it in that school, and the administrators of the school's trust. The
    inverse of :meth:`~chaperone.tenancy.policies.Actor.can`."""
    roles = roles_with(action)
    in_school = Q(
        assignments__school=school,
        assignments__awaiting_confirmation=False,
        assignments__role__in=roles - TRUST_ROLES,
    )
    in_trust = Q(
        trust_id=school.trust_id,
        assignments__school__isnull=True,
        assignments__awaiting_confirmation=False,
        assignments__role__in=roles & TRUST_ROLES,
    )
    return (
        StaffMember.objects.filter(in_school | in_trust, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def pending_flag_changes(*, actor: Actor, school: School) -> QuerySet[PendingFlagChange]:
    """Flag changes of ``school`` waiting for a DSL (none for anyone who may not decide them)."""
    return (
        PendingFlagChange.objects.for_actor(actor, "people.confirm_flag_changes")
        .filter(school=school, status=FlagChangeStatus.PENDING)
        .select_related("pupil", "requested_by")
        .order_by("requested_at", "pupil__last_name", "pupil__first_name", "id")
    )


def flag_changes_for_deciding(
    *, actor: Actor, school: School, limit: int
) -> tuple[list[PendingFlagChange], int]:
    """The oldest ``limit`` waiting flag changes and how many wait in all; the read is audited
    (the list names pupils and their safeguarding flags)."""
    waiting = pending_flag_changes(actor=actor, school=school)
    shown = list(waiting[:limit])
    total = len(shown) if len(shown) < limit else waiting.count()
    record_read(
        "people.flag_changes_viewed", actor=actor, target=school, details={"listed": len(shown)}
    )
    return shown, total


def pending_flag_change_count(*, actor: Actor, school: School) -> int:
    return pending_flag_changes(actor=actor, school=school).count()


def holders_at_school(*, action: str, school_id: int) -> QuerySet[StaffMember]:
    """Active staff confirmed at ``school_id`` in a school role that has ``action`` (trust
    administrators not included), in name order."""
    roles = roles_with(action) - TRUST_ROLES
    return (
        StaffMember.objects.filter(
            assignments__school_id=school_id,
            assignments__awaiting_confirmation=False,
            assignments__role__in=sorted(roles),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def staff_to_tell(*, action: str, school_id: int) -> list[StaffMember]:
    """Whom a notice about ``school_id`` goes to: :func:`holders_at_school` of ``action`` who
    have an email address. ``action`` is one of the policy's "who is told" entries (e.g.
    ``protocol.reminders``) or any action whose holders must hear of something."""
    return list(
        holders_at_school(action=action, school_id=school_id)
        .exclude(email="")
        .select_related("user")
    )


def staff_to_tell_in_trust(*, action: str, trust: Trust) -> list[StaffMember]:
    """Whom a notice about the trust-level ``action`` goes to in ``trust``: its administrators,
    and in a standalone school also the holders of the action's stand-in school action (the
    inverse of :meth:`~chaperone.tenancy.policies.Actor.can_in_trust`). Only active staff with
    an email address."""
    q = Q(
        trust_id=trust.pk,
        assignments__school__isnull=True,
        assignments__awaiting_confirmation=False,
        assignments__role__in=sorted(TRUST_ROLES),
    )
    stand_in = stand_in_for(action)
    if trust.is_standalone and stand_in is not None:
        q |= Q(
            assignments__school__trust_id=trust.pk,
            assignments__awaiting_confirmation=False,
            assignments__role__in=sorted(roles_with(stand_in) - TRUST_ROLES),
        )
    return list(
        StaffMember.objects.filter(q, is_active=True)
        .exclude(email="")
        .select_related("user")
        .distinct()
        .order_by("last_name", "first_name", "id")
    )


def flag_confirmers(*, school: School) -> list[StaffMember]:
    """Active staff whose role at ``school`` lets them decide flag changes (its DSL and deputy
    DSLs), with an email address: the people told that changes wait."""
    return staff_to_tell(action="people.confirm_flag_changes", school_id=school.pk)


def dsl_emails_of_trust(trust_id: int) -> list[str]:
    """The addresses to which the trust's audit chain sends its daily anchor (the DSLs of the
    trust's schools: ``audit.anchor_notice``). For the system, not for a reader. A DSL with a
    login is written to at the login's address (see :attr:`StaffMember.notice_email`)."""
    roles = roles_with("audit.anchor_notice") - TRUST_ROLES
    holders = StaffMember.objects.filter(
        is_active=True,
        assignments__awaiting_confirmation=False,
        assignments__role__in=sorted(roles),
        assignments__school__trust_id=trust_id,
    ).select_related("user")
    return sorted({s.notice_email for s in holders} - {""})


def staff_managed_at(*, actor: Actor, school: School, staff_id: int, action: str) -> StaffMember:
    """A staff member of ``school`` whom the actor may manage there (``action``); anyone else,
    another school's staff included, is a 404 like a missing id."""
    if not actor.can(action, school.id):
        raise Http404("No such record.")
    at_school = StaffAssignment.objects.filter(school=school).values("staff_id")
    return get_for_actor_or_404(
        StaffMember.objects.select_related("user").filter(pk__in=at_school),
        actor,
        action,
        pk=staff_id,
    )
