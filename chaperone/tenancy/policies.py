"""The one permission policy: which role may do which action, in which school.

Views, selectors and services ask :meth:`Actor.can` and scope querysets with
:meth:`Actor.school_ids_for`. No other module compares role names. An actor is built from a
signed-in user by :func:`chaperone.people.actors.actor_for_user`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chaperone.tenancy.roles import Role

EVERY_SCHOOL_ROLE = frozenset(Role) - {Role.TRUST_ADMIN}
LEADERS = frozenset({Role.HEADTEACHER, Role.SLT})
SAFEGUARDING = frozenset({Role.DSL, Role.DEPUTY_DSL})
PASTORAL = frozenset(
    {
        Role.TUTOR,
        Role.HEAD_OF_YEAR,
        Role.HOUSEMASTER,
        Role.PASTORAL_LEAD,
        Role.COUNSELLOR,
        Role.SEN_STAFF,
    }
)

#: action -> roles that may perform it within a school. Trust admins may do every action in
#: every school of their trust.
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "dashboard.view": EVERY_SCHOOL_ROLE,
    "dashboard.safeguarding_figures": SAFEGUARDING,
    "dashboard.staff_compliance": LEADERS | SAFEGUARDING,
    "pupil.view": EVERY_SCHOOL_ROLE,
    "household.view": LEADERS | SAFEGUARDING | PASTORAL | {Role.SCHOOL_ADMIN},
    "staff.view": EVERY_SCHOOL_ROLE,
    "people.import": frozenset({Role.SCHOOL_ADMIN, Role.HEADTEACHER}),
    "audit.view": frozenset({Role.HEADTEACHER}) | SAFEGUARDING,
    "protocol.view": EVERY_SCHOOL_ROLE,
    "protocol.manage": frozenset({Role.HEADTEACHER}) | SAFEGUARDING,
    "protocol.acknowledgements": LEADERS | SAFEGUARDING,
}

#: Staff holding any of these roles must sign in with a second factor (TOTP).
TWO_FACTOR_ROLES = frozenset(
    {Role.HEADTEACHER, Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.TRUST_ADMIN}
)


class UnknownAction(KeyError):
    pass


@dataclass(frozen=True)
class Actor:
    """What a signed-in person is: their trust, and their roles per school."""

    user_id: int | None
    staff_id: int | None = None
    trust_id: int | None = None
    school_roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    trust_roles: frozenset[str] = frozenset()
    trust_school_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    #: the staff member's name, as the audit log shows who acted
    label: str = ""

    @property
    def is_trust_admin(self) -> bool:
        return Role.TRUST_ADMIN in self.trust_roles

    @property
    def all_roles(self) -> frozenset[str]:
        roles: set[str] = set(self.trust_roles)
        for r in self.school_roles.values():
            roles |= r
        return frozenset(roles)

    @property
    def requires_two_factor(self) -> bool:
        return bool(self.all_roles & TWO_FACTOR_ROLES)

    @property
    def visible_school_ids(self) -> frozenset[int]:
        if self.is_trust_admin:
            return self.trust_school_ids
        return frozenset(self.school_roles)

    def roles_in(self, school_id: int) -> frozenset[str]:
        return self.school_roles.get(school_id, frozenset())

    def can(self, action: str, school_id: int | None = None) -> bool:
        """May the actor do ``action`` in ``school_id`` (or, with None, in any school)?"""
        try:
            allowed = PERMISSIONS[action]
        except KeyError as exc:
            raise UnknownAction(action) from exc
        if school_id is None:
            return bool(self.school_ids_for(action))
        if self.is_trust_admin and school_id in self.trust_school_ids:
            return True
        return bool(self.roles_in(school_id) & allowed)

    def school_ids_for(self, action: str) -> frozenset[int]:
        """Every school in which the actor may do ``action``."""
        try:
            allowed = PERMISSIONS[action]
        except KeyError as exc:
            raise UnknownAction(action) from exc
        if self.is_trust_admin:
            return self.trust_school_ids
        return frozenset(sid for sid, roles in self.school_roles.items() if roles & allowed)


ANONYMOUS = Actor(user_id=None)
