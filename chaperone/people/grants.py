"""Granting, confirming and removing roles: the Roles screen's writes and reads.

Safeguarding and leadership roles (:data:`~chaperone.tenancy.policies.GRANTED_ROLES`) change here
and nowhere else. A grant of one waits for a second headteacher or trust administrator (neither
the granter nor the grantee) to confirm it; until then the actor built for the grantee does not
have it. Where nobody but the granter and the grantee may manage roles there (a standalone school
with one headteacher), the school's designated safeguarding lead confirms instead
(``staff.confirm_roles_without_a_second_head``). Nobody changes their own roles. Every change is
audited by name and emailed to the person and to the other holders of that role there.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from chaperone.audit.log import record
from chaperone.people.emails import send_people_email
from chaperone.people.models import StaffAssignment, StaffMember
from chaperone.people.selectors import staff_with_permission
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import GRANTED_ROLES, Actor, may_manage_role
from chaperone.tenancy.roles import TRUST_ROLES, Role

__all__ = [
    "RoleChange",
    "RoleChangeRefused",
    "grantable_roles",
    "roles_awaiting_confirmation",
    "staff_role_confirm",
    "staff_role_grant",
    "staff_role_remove",
    "staff_roles_at",
    "waiting_grant",
]

OWN_ROLES = "You cannot change your own roles. Ask another headteacher or a trust administrator."


class RoleChangeRefused(Exception):
    """The change is not allowed; the message says why, in words for the person asking."""


@dataclass(frozen=True)
class RoleChange:
    assignment: StaffAssignment
    #: False if a notification email could not be sent (the change itself stands)
    emailed: bool


def grantable_roles(*, actor: Actor, school: School) -> list[tuple[str, str]]:
    """(value, label) of every role the actor may grant at ``school`` (trust roles included for
    trust administrators)."""
    return [
        (role.value, str(role.label))
        for role in Role
        if may_manage_role(actor, role, None if role in TRUST_ROLES else school.id)
    ]


def staff_roles_at(*, staff: StaffMember, school: School) -> QuerySet[StaffAssignment]:
    """The person's roles at ``school`` and across the trust, awaiting ones included."""
    return (
        StaffAssignment.objects.filter(staff=staff)
        .filter(Q(school=school) | Q(school__isnull=True))
        .select_related("school", "granted_by", "confirmed_by")
        .order_by("school_id", "role")
    )


FALLBACK = "staff.confirm_roles_without_a_second_head"


def may_see_confirmations(actor: Actor, school: School) -> bool:
    """Whether the "Roles to confirm" page is for the actor at ``school`` (for the DSL it lists
    only the grants nobody else may confirm; the dashboard tells them when there are some)."""
    return actor.can("staff.manage_roles", school.id) or actor.can(FALLBACK, school.id)


def roles_awaiting_confirmation(*, actor: Actor, school: School) -> list[StaffAssignment]:
    """Grants waiting at ``school`` (and trust-wide, for trust admins) that the actor may
    confirm or, as a head, see: those their own rules let them decide, and for the school's DSL
    those nobody else may confirm."""
    manages = actor.can("staff.manage_roles", school.id)
    if not manages and not actor.can(FALLBACK, school.id):
        return []
    scope = Q(school=school)
    if manages and actor.is_trust_admin:
        scope |= Q(school__isnull=True, staff__trust_id=actor.trust_id)
    waiting = list(
        StaffAssignment.objects.filter(scope, awaiting_confirmation=True, staff__trust=school.trust)
        .select_related("staff", "school", "granted_by")
        .order_by("granted_at", "id")
    )
    if manages or not waiting:
        return waiting
    managers = _role_managers(school)
    return [a for a in waiting if _falls_back_to(actor, a, managers)]


def waiting_grant(*, actor: Actor, school: School, assignment_id: int) -> StaffAssignment:
    """One grant of :func:`roles_awaiting_confirmation`; anything else is a 404."""
    for assignment in roles_awaiting_confirmation(actor=actor, school=school):
        if assignment.pk == assignment_id:
            return assignment
    raise Http404("No such role awaiting confirmation.")


def _role_managers(school: School) -> set[int]:
    """Ids of the active staff who may manage roles at ``school``: its headteachers and the
    administrators of its trust."""
    managers = staff_with_permission(action="staff.manage_roles", school=school)
    return set(managers.order_by().values_list("pk", flat=True))


def _falls_back_to(
    actor: Actor, assignment: StaffAssignment, managers: set[int] | None = None
) -> bool:
    """Whether ``actor`` confirms ``assignment`` as the school's DSL, nobody else being able to
    (no role manager besides the granter and the grantee; ``managers``: the school's, if known)."""
    school = assignment.school
    if school is None or not actor.can(FALLBACK, school.pk):
        return False
    if actor.staff_id in (assignment.staff_id, assignment.granted_by_id):
        return False
    if managers is None:
        managers = _role_managers(school)
    return not managers - {assignment.staff_id, assignment.granted_by_id}


def _check(actor: Actor, staff: StaffMember, role: str, school_id: int | None) -> None:
    if not may_manage_role(actor, role, school_id):
        raise PermissionDenied("You may not change this role.")
    if staff.trust_id != actor.trust_id:
        raise PermissionDenied("This person is not in your trust.")
    if actor.staff_id == staff.pk:
        raise RoleChangeRefused(OWN_ROLES)


def staff_role_grant(*, actor: Actor, staff: StaffMember, school: School, role: str) -> RoleChange:
    """Give ``staff`` the role ``role`` at ``school`` (a trust role: across the trust).

    A safeguarding or leadership role is stored awaiting confirmation.
    """
    if role not in Role.values:
        raise RoleChangeRefused("Choose a role from the list.")
    school_id = None if role in TRUST_ROLES else school.pk
    _check(actor, staff, role, school_id)
    if not staff.is_active:
        raise RoleChangeRefused(f"{staff.full_name} is no longer an active member of staff.")
    awaiting = role in GRANTED_ROLES
    # Checked here too: the unique constraint lets trust roles (school NULL) repeat.
    here = Q(school__isnull=True) if school_id is None else Q(school_id=school_id)
    if StaffAssignment.objects.filter(here, staff=staff, role=role).exists():
        raise RoleChangeRefused(_already(staff, role))
    try:
        with transaction.atomic():
            assignment = StaffAssignment.objects.create(
                staff=staff,
                school_id=school_id,
                role=role,
                awaiting_confirmation=awaiting,
                granted_by_id=actor.staff_id,
                granted_at=timezone.now(),
            )
            _audit("staff.role_granted", actor, assignment)
    except IntegrityError as exc:
        raise RoleChangeRefused(_already(staff, role)) from exc
    return RoleChange(assignment, _notify("granted", actor, assignment))


def _already(staff: StaffMember, role: str) -> str:
    return (
        f"{staff.full_name} already holds the role {Role(role).label} there "
        "(or it is awaiting confirmation)."
    )


def _assignment_for_update(assignment_id: int, staff: StaffMember) -> StaffAssignment:
    found = (
        StaffAssignment.objects.select_for_update(of=("self",))
        .select_related("staff", "school", "granted_by")
        .filter(pk=assignment_id, staff=staff)
        .first()
    )
    if found is None:
        raise RoleChangeRefused("That role has already been changed. Check the list again.")
    return found


def staff_role_confirm(*, actor: Actor, staff: StaffMember, assignment_id: int) -> RoleChange:
    """A second headteacher or trust administrator confirms a waiting grant: it takes effect."""
    with transaction.atomic():
        assignment = _assignment_for_update(assignment_id, staff)
        if not _falls_back_to(actor, assignment):
            _check(actor, staff, assignment.role, assignment.school_id)
        elif staff.trust_id != actor.trust_id:
            raise PermissionDenied("This person is not in your trust.")
        if not assignment.awaiting_confirmation:
            raise RoleChangeRefused("This role is already in effect.")
        if assignment.granted_by_id == actor.staff_id:
            raise RoleChangeRefused(
                "You granted this role, so someone else must confirm it: another headteacher "
                "or a trust administrator."
            )
        assignment.awaiting_confirmation = False
        assignment.confirmed_by_id = actor.staff_id
        assignment.confirmed_at = timezone.now()
        assignment.save(update_fields=["awaiting_confirmation", "confirmed_by", "confirmed_at"])
        _audit("staff.role_confirmed", actor, assignment)
    return RoleChange(assignment, _notify("confirmed", actor, assignment))


def staff_role_remove(*, actor: Actor, staff: StaffMember, assignment_id: int) -> RoleChange:
    """Take a role away (or withdraw a grant still awaiting confirmation)."""
    with transaction.atomic():
        assignment = _assignment_for_update(assignment_id, staff)
        _check(actor, staff, assignment.role, assignment.school_id)
        _audit("staff.role_removed", actor, assignment)
        assignment.delete()
    return RoleChange(assignment, _notify("removed", actor, assignment))


def _audit(action: str, actor: Actor, assignment: StaffAssignment) -> None:
    record(
        action,
        actor=actor,
        target=assignment.staff,
        school_id=assignment.school_id,
        details={
            "role": assignment.role,
            "role_label": str(Role(assignment.role).label),
            "person": assignment.staff.full_name,
            "person_staff_id": assignment.staff_id,
            "by": actor.label,
            "granted_by": assignment.granted_by.full_name if assignment.granted_by else "",
            "school": assignment.place,
            "awaiting_confirmation": assignment.awaiting_confirmation,
        },
    )


def _notify(event: str, actor: Actor, assignment: StaffAssignment) -> bool:
    """For a safeguarding or leadership role: email the person and the other holders (in
    effect) of that role there. Ordinary roles are audited only."""
    if assignment.role not in GRANTED_ROLES:
        return True
    same_place = (
        Q(assignments__school__isnull=True)
        if assignment.school_id is None
        else Q(assignments__school_id=assignment.school_id)
    )
    holders = StaffMember.objects.filter(
        same_place,
        is_active=True,
        trust_id=assignment.staff.trust_id,
        assignments__role=assignment.role,
        assignments__awaiting_confirmation=False,
    ).exclude(pk=assignment.staff_id)
    addresses = [assignment.staff.notice_email]
    addresses += [m.notice_email for m in holders.select_related("user").distinct()]
    return send_people_email(
        "role_changed",
        addresses,
        {
            "event": event,
            "role": Role(assignment.role).label,
            "place": assignment.place,
            "person": assignment.staff.full_name,
            "by": actor.label,
            "granted_by": assignment.granted_by.full_name if assignment.granted_by else "",
        },
    )
