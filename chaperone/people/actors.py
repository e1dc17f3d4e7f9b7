"""Building the :class:`~chaperone.tenancy.policies.Actor` of a signed-in user from their staff
record and role assignments (the policy itself lives in ``tenancy``, below this app)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chaperone.people.models import StaffAssignment, StaffMember, User
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import ANONYMOUS, Actor

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def actor_for_user(user: User | AnonymousUser | None) -> Actor:
    """Build the actor of a user in two queries (three for a trust role)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    staff = (
        StaffMember.objects.filter(user=user, is_active=True)
        .only("id", "trust_id", "first_name", "last_name")
        .first()
    )
    if staff is None:
        # A login with no staff record (a superuser, say): the audit log names it by username.
        label = user.get_username() or f"user {user.pk}"
        return Actor(user_id=user.pk, is_superuser=user.is_superuser, label=label)
    school_roles: dict[int, set[str]] = {}
    trust_roles: set[str] = set()
    # Roles in effect only: a granted safeguarding or leadership role awaiting its second
    # person's confirmation gives nothing.
    for school_id, role in (
        StaffAssignment.objects.in_effect().filter(staff=staff).values_list("school_id", "role")
    ):
        if school_id is None:
            trust_roles.add(role)
        else:
            school_roles.setdefault(school_id, set()).add(role)
    trust_school_ids: frozenset[int] = frozenset()
    if trust_roles:
        trust_school_ids = frozenset(
            School.objects.filter(trust_id=staff.trust_id).values_list("id", flat=True)
        )
    return Actor(
        user_id=user.pk,
        staff_id=staff.pk,
        trust_id=staff.trust_id,
        school_roles={k: frozenset(v) for k, v in school_roles.items()},
        trust_roles=frozenset(trust_roles),
        trust_school_ids=trust_school_ids,
        is_superuser=user.is_superuser,
        label=staff.full_name,
    )
