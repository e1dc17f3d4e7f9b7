"""The policy beyond "role R may do action A in school S": trust-level actions, the system actor,
the inverse query's role list and object rules. Written out as tables, like the school matrix."""

from __future__ import annotations

import pytest

from chaperone.tenancy.models import School
from chaperone.tenancy.policies import (
    PERMISSIONS,
    SYSTEM,
    SYSTEM_GRANTS,
    TRUST_PERMISSIONS,
    Actor,
    UnknownAction,
    object_rule,
    roles_with,
)
from chaperone.tenancy.roles import Role

TRUST, OTHER_TRUST = 10, 20
SCHOOL = 1

#: who may do each trust-level action in TRUST, as a multi-school trust (multi) and as a
#: standalone school (alone). Columns: the trust's admin, another trust's admin, and the
#: headteacher, DSL and a teacher of the trust's school.
TRUST_MATRIX = """
action                 multi:ADM OUT HT DSL TCH   alone:ADM OUT HT DSL TCH
trust.manage_protocol  y - - - -                  y - y y -
trust.view_audit       y - - - -                  y - - - -
trust.view_figures     y - - - -                  y - - - -
trust.protocol_reminders y - - - -                y - y y -
"""


def _actors() -> list[Actor]:
    def member(role: str) -> Actor:
        return Actor(user_id=1, trust_id=TRUST, school_roles={SCHOOL: frozenset({role})})

    def admin(trust_id: int) -> Actor:
        return Actor(
            user_id=2,
            trust_id=trust_id,
            trust_roles=frozenset({Role.TRUST_ADMIN}),
            trust_school_ids=frozenset({SCHOOL}) if trust_id == TRUST else frozenset(),
        )

    return [
        admin(TRUST),
        admin(OTHER_TRUST),
        member(Role.HEADTEACHER),
        member(Role.DSL),
        member(Role.TEACHER),
    ]


def _rows() -> list[tuple[str, list[bool], list[bool]]]:
    rows = []
    for line in TRUST_MATRIX.strip().splitlines()[1:]:
        action, *cells = line.split()
        assert len(cells) == 10, action
        rows.append((action, [c == "y" for c in cells[:5]], [c == "y" for c in cells[5:]]))
    return rows


def test_the_trust_table_lists_every_trust_level_action() -> None:
    assert {action for action, _, _ in _rows()} == set(TRUST_PERMISSIONS)


@pytest.mark.parametrize(("action", "multi", "alone"), _rows(), ids=lambda v: str(v))
def test_trust_level_actions_follow_the_table(action: str, multi: list, alone: list) -> None:  # type: ignore[type-arg]
    actors = _actors()
    assert [a.can_in_trust(action, TRUST) for a in actors] == multi
    assert [a.can_in_trust(action, TRUST, standalone=True) for a in actors] == alone
    assert not any(a.can_in_trust(action, OTHER_TRUST + 1) for a in actors)


def test_an_undeclared_trust_action_is_an_error() -> None:
    with pytest.raises(UnknownAction):
        _actors()[0].can_in_trust("trust.delete", TRUST)


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_roles_with_is_the_inverse_of_can(action: str) -> None:
    for role in Role:
        if role == Role.TRUST_ADMIN:
            holder = Actor(
                user_id=1,
                trust_id=TRUST,
                trust_roles=frozenset({role}),
                trust_school_ids=frozenset({SCHOOL}),
            )
        else:
            holder = Actor(user_id=1, trust_id=TRUST, school_roles={SCHOOL: frozenset({role})})
        assert holder.can(action, SCHOOL) is (role in roles_with(action)), (role, action)


@pytest.mark.parametrize("action", sorted(PERMISSIONS) + sorted(TRUST_PERMISSIONS))
def test_the_system_may_do_exactly_its_declared_grants(action: str) -> None:
    granted = action in SYSTEM_GRANTS
    if action in PERMISSIONS:
        assert SYSTEM.can(action, SCHOOL) is granted
        assert SYSTEM.can(action) is granted
    else:
        assert SYSTEM.can_in_trust(action, TRUST) is granted


def test_the_system_has_no_school_list_to_misuse_and_is_named_in_the_log() -> None:
    with pytest.raises(TypeError):
        SYSTEM.school_ids_for("pupil.view")
    assert SYSTEM.label == "System"
    assert set(PERMISSIONS) | set(TRUST_PERMISSIONS) >= SYSTEM_GRANTS


def test_an_object_rule_for_an_undeclared_action_is_refused_when_declared() -> None:
    with pytest.raises(UnknownAction):
        object_rule(School, "school.rename")
