"""Building the :class:`~chaperone.tenancy.policies.Actor` of a signed-in user from their staff
record and role assignments (the policy itself lives in ``tenancy``, below this app)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from chaperone.core.prepared import prepared
from chaperone.people.models import StaffMember, User
from chaperone.tenancy.models import School
from chaperone.tenancy.policies import ANONYMOUS, Actor

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


@prepared
def _staff_roles(user_id: int) -> QuerySet[StaffMember, Any]:
    # One row per role (a single row with no role if they hold none); a user has one staff record.
    return StaffMember.objects.filter(user_id=user_id, is_active=True).values_list(
        "id",
        "trust_id",
        "first_name",
        "last_name",
        "assignments__school_id",
        "assignments__role",
        "assignments__awaiting_confirmation",
    )


@prepared
def _trust_school_ids(trust_id: int) -> QuerySet[School, int]:
    return School.objects.filter(trust_id=trust_id).values_list("id", flat=True)


def actor_for_user(user: User | AnonymousUser | None) -> Actor:
    """Build the actor of a user in one query (two for a trust role: the trust's schools)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    rows = _staff_roles(user_id=user.pk)
    if not rows:
        # A login with no staff record (a superuser, say): the audit log names it by username.
        label = user.get_username() or f"user {user.pk}"
        return Actor(user_id=user.pk, is_superuser=user.is_superuser, label=label)
    staff_id, trust_id, first_name, last_name = rows[0][:4]
    school_roles: dict[int, set[str]] = {}
    trust_roles: set[str] = set()
    # Roles in effect only: a granted safeguarding or leadership role awaiting its second
    # person's confirmation gives nothing.
    for *_staff, school_id, role, awaiting in rows:
        if role is None or awaiting:
            continue
        if school_id is None:
            trust_roles.add(role)
        else:
            school_roles.setdefault(school_id, set()).add(role)
    trust_school_ids: frozenset[int] = frozenset()
    if trust_roles:
        trust_school_ids = frozenset(_trust_school_ids(trust_id=trust_id))
    return Actor(
        user_id=user.pk,
        staff_id=staff_id,
        trust_id=trust_id,
        school_roles={k: frozenset(v) for k, v in school_roles.items()},
        trust_roles=frozenset(trust_roles),
        trust_school_ids=trust_school_ids,
        is_superuser=user.is_superuser,
        label=f"{first_name} {last_name}",
    )


def home_school_id(actor: Actor) -> int | None:
    """The one school a person's own events (sign-ins, second-factor codes) are filed under, so
    that school's DSL and head see them: their school when they work in exactly one. None for
    someone who works across the trust (several schools, or a trust role): their events are
    then the trust's, which concern every school of it."""
    if actor.trust_roles or len(actor.school_roles) != 1:
        return None
    return next(iter(actor.school_roles))
