"""The permission policy, written out as a table: which school role may do which action.

This table is the policy's documentation. It is written by hand, not derived from
``PERMISSIONS``, so a change to the policy shows up here as a reviewed change to the table (a new
action needs a new row). Trust administrators are not a column: they may do every action in every
school of their own trust, and nothing in any other trust.
"""

from __future__ import annotations

import pytest

from chaperone.tenancy.policies import PERMISSIONS, TWO_FACTOR_ROLES, Actor, UnknownAction
from chaperone.tenancy.roles import Role

COLUMNS = {
    "HT": Role.HEADTEACHER,
    "DSL": Role.DSL,
    "DDSL": Role.DEPUTY_DSL,
    "SLT": Role.SLT,
    "TCH": Role.TEACHER,
    "TUT": Role.TUTOR,
    "HOY": Role.HEAD_OF_YEAR,
    "HSM": Role.HOUSEMASTER,
    "PAS": Role.PASTORAL_LEAD,
    "CNS": Role.COUNSELLOR,
    "SEN": Role.SEN_STAFF,
    "SUP": Role.SUPPORT_STAFF,
    "ADM": Role.SCHOOL_ADMIN,
}

MATRIX = """
action                          HT  DSL DDSL SLT TCH TUT HOY HSM PAS CNS SEN SUP ADM
dashboard.view                  y   y   y    y   y   y   y   y   y   y   y   y   y
dashboard.safeguarding_figures  -   y   y    -   -   -   -   -   -   -   -   -   -
dashboard.staff_compliance      y   y   y    y   -   -   -   -   -   -   -   -   -
pupil.view                      y   y   y    y   y   y   y   y   y   y   y   y   y
people.view_safeguarding_flags  y   y   y    y   -   -   -   -   -   -   -   -   -
household.view                  y   y   y    y   -   y   y   y   y   y   y   -   y
staff.view                      y   y   y    y   y   y   y   y   y   y   y   y   y
staff.view_dbs                  y   -   -    -   -   -   -   -   -   -   -   -   y
people.import                   y   -   -    -   -   -   -   -   -   -   -   -   y
people.confirm_flag_changes     -   y   y    -   -   -   -   -   -   -   -   -   -
audit.view                      y   y   y    -   -   -   -   -   -   -   -   -   -
protocol.view                   y   y   y    y   y   y   y   y   y   y   y   y   y
protocol.manage                 y   y   y    -   -   -   -   -   -   -   -   -   -
protocol.acknowledgements       y   y   y    y   -   -   -   -   -   -   -   -   -
staff.manage_roles              y   -   -    -   -   -   -   -   -   -   -   -   -
staff.confirm_roles_without_a_second_head -   y   -    -   -   -   -   -   -   -   -   -   -
staff.manage_accounts           y   -   -    -   -   -   -   -   -   -   -   -   -
school.manage_details           y   -   -    -   -   -   -   -   -   -   -   -   -
session.plan                    y   y   y    y   y   y   y   y   y   y   y   y   -
session.view                    y   y   y    y   -   -   -   -   -   -   -   -   -
session.manage                  y   -   -    y   -   -   -   -   -   -   -   -   -
session.approve                 y   -   -    y   -   -   -   -   -   -   -   -   -
session.assess_risk             y   y   y    y   -   -   -   -   -   -   -   -   -
session.timetable               y   y   y    y   -   -   -   -   -   -   -   -   -
protocol.reminders              y   y   -    -   -   -   -   -   -   -   -   -   -
safeguarding.named_lead         -   y   -    -   -   -   -   -   -   -   -   -   -
audit.anchor_notice             -   y   -    -   -   -   -   -   -   -   -   -   -
session.dsl_invitations         -   y   y    -   -   -   -   -   -   -   -   -   -
session.run                     -   -   -    -   -   -   -   -   -   -   -   -   -
concern.raise                   y   y   y    y   y   y   y   y   y   y   y   y   y
concern.view                    -   y   y    -   -   -   -   -   -   -   -   -   -
concern.alert                   -   y   y    -   -   -   -   -   -   -   -   -   -
session.end_notice              -   y   y    -   -   -   -   -   -   -   -   -   -
concern.manage                  -   y   y    -   -   -   -   -   -   -   -   -   -
concern.sign_off                -   y   -    -   -   -   -   -   -   -   -   -   -
concern.see_exists              y   -   -    y   -   y   y   y   y   y   y   -   -
concern.about_staff             y   -   -    -   -   -   -   -   -   -   -   -   -
concern.about_head              -   -   -    -   -   -   -   -   -   -   -   -   -
concern.configure               -   y   -    -   -   -   -   -   -   -   -   -   -
concern.alert_about_staff       y   -   -    -   -   -   -   -   -   -   -   -   -
concern.alert_about_head        -   -   -    -   -   -   -   -   -   -   -   -   -
concern.escalation              y   -   -    -   -   -   -   -   -   -   -   -   -
concern.overdue_actions         -   y   -    -   -   -   -   -   -   -   -   -   -
concern.chronology              -   y   y    -   -   -   -   -   -   -   -   -   -
concern.transfer                -   y   y    -   -   -   -   -   -   -   -   -   -
concern.reports                 -   y   y    -   -   -   -   -   -   -   -   -   -
concern.governors_report        y   y   y    y   -   -   -   -   -   -   -   -   -
concern.transfer_reminders      -   y   -    -   -   -   -   -   -   -   -   -   -
concern.disclosure_review       -   y   -    -   -   -   -   -   -   -   -   -   -
welfare.call                    y   y   y    y   y   y   y   y   y   y   y   y   -
welfare.call_vulnerable         y   y   y    y   -   -   -   -   y   -   y   -   -
welfare.view                    y   y   y    y   -   -   -   -   -   -   -   -   -
welfare.manage                  -   y   y    -   -   -   -   -   -   -   -   -   -
welfare.escalation_notice       -   y   y    -   -   -   -   -   -   -   -   -   -
welfare.ladder                  -   y   -    -   -   -   -   -   -   -   -   -   -
welfare.escalation_notice_head  y   -   -    -   -   -   -   -   -   -   -   -   -
recording.add                   y   y   y    y   -   -   -   -   -   -   -   -   -
recording.list                  y   y   y    y   -   -   -   -   -   -   -   -   -
recording.view                  y   y   y    y   -   -   -   -   -   -   -   -   -
recording.access_log            -   y   y    -   -   -   -   -   -   -   -   -   -
records.schedule                y   y   y    y   -   -   -   -   -   -   -   -   -
records.hold                    -   y   y    -   -   -   -   -   -   -   -   -   -
records.sar                     -   y   y    -   -   -   -   -   -   -   -   -   -
"""

#: Roles that must sign in with a second factor.
TWO_FACTOR = {Role.HEADTEACHER, Role.DSL, Role.DEPUTY_DSL, Role.SLT, Role.TRUST_ADMIN}
TWO_FACTOR |= {Role.CHAIR_OF_GOVERNORS}

SCHOOL, OTHER_SCHOOL, OUTSIDE_SCHOOL = 1, 2, 3
TRUST = 10


def _table() -> dict[tuple[str, str], bool]:
    header, *rows = MATRIX.strip().splitlines()
    roles = [COLUMNS[name] for name in header.split()[1:]]
    table: dict[tuple[str, str], bool] = {}
    for row in rows:
        action, *cells = row.split()
        assert len(cells) == len(roles), f"row {action} has {len(cells)} cells"
        assert set(cells) <= {"y", "-"}, f"row {action}: cells are y or -"
        table |= {(role, action): cell == "y" for role, cell in zip(roles, cells, strict=True)}
    return table


TABLE = _table()

#: The chair of governors is no member of staff: of every action they hold these alone.
CHAIR_ACTIONS = {"concern.about_head", "concern.alert_about_head"}
CHAIR_ACTIONS |= {"concern.governors_report"}  # counts only, no names (issue #10 item 8)
TABLE |= {(Role.CHAIR_OF_GOVERNORS, a): a in CHAIR_ACTIONS for a in {a for _, a in TABLE}}


def _member_of(role: str) -> Actor:
    """A member of staff holding one role in SCHOOL (OTHER_SCHOOL is in the same trust)."""
    return Actor(user_id=1, staff_id=1, trust_id=TRUST, school_roles={SCHOOL: frozenset({role})})


def test_the_table_lists_every_action_and_every_school_role() -> None:
    assert {action for _, action in TABLE} == set(PERMISSIONS)
    assert {role for role, _ in TABLE} == set(Role) - {Role.TRUST_ADMIN}


@pytest.mark.parametrize(("role", "action"), sorted(TABLE), ids=lambda v: str(v))
def test_a_school_role_may_do_what_the_table_says_in_its_own_school_only(
    role: str, action: str
) -> None:
    actor = _member_of(role)
    allowed = TABLE[role, action]
    assert actor.can(action, SCHOOL) is allowed
    assert actor.can(action) is allowed  # "in any school"
    assert actor.school_ids_for(action) == (frozenset({SCHOOL}) if allowed else frozenset())
    assert actor.can(action, OTHER_SCHOOL) is False  # a sister school of the same trust
    assert actor.can(action, OUTSIDE_SCHOOL) is False


@pytest.mark.parametrize("action", sorted(PERMISSIONS))
def test_a_trust_admin_may_do_every_action_in_their_trusts_schools_only(action: str) -> None:
    admin = Actor(
        user_id=2,
        trust_id=TRUST,
        trust_roles=frozenset({Role.TRUST_ADMIN}),
        trust_school_ids=frozenset({SCHOOL, OTHER_SCHOOL}),
    )
    assert admin.can(action, SCHOOL) and admin.can(action, OTHER_SCHOOL)
    assert admin.can(action, OUTSIDE_SCHOOL) is False
    assert admin.school_ids_for(action) == frozenset({SCHOOL, OTHER_SCHOOL})


def test_roles_add_up_across_schools_without_leaking_between_them() -> None:
    actor = Actor(
        user_id=3,
        trust_id=TRUST,
        school_roles={SCHOOL: frozenset({Role.TEACHER}), OTHER_SCHOOL: frozenset({Role.DSL})},
    )
    assert actor.can("audit.view", OTHER_SCHOOL) is True
    assert actor.can("audit.view", SCHOOL) is False
    assert actor.school_ids_for("pupil.view") == frozenset({SCHOOL, OTHER_SCHOOL})


def test_someone_with_no_roles_may_do_nothing() -> None:
    nobody = Actor(user_id=4)
    assert not any(nobody.can(action) for action in PERMISSIONS)
    assert not any(nobody.can(action, SCHOOL) for action in PERMISSIONS)


def test_an_undeclared_action_is_an_error_not_a_refusal() -> None:
    with pytest.raises(UnknownAction):
        _member_of(Role.HEADTEACHER).can("pupil.delete", SCHOOL)
    with pytest.raises(UnknownAction):
        _member_of(Role.HEADTEACHER).school_ids_for("pupil.delete")


def test_leadership_and_safeguarding_roles_need_a_second_factor() -> None:
    assert set(TWO_FACTOR_ROLES) == TWO_FACTOR
    for role in Role:
        assert _member_of(role).requires_two_factor is (role in TWO_FACTOR)


def test_granted_roles_are_the_second_factor_roles_and_trust_roles_need_a_trust_admin() -> None:
    from chaperone.tenancy.policies import GRANTED_ROLES, may_manage_role

    assert GRANTED_ROLES == TWO_FACTOR
    head = _member_of(Role.HEADTEACHER)
    assert may_manage_role(head, Role.DSL, SCHOOL)
    assert not may_manage_role(head, Role.DSL, OTHER_SCHOOL)
    assert not may_manage_role(head, Role.TRUST_ADMIN, None)
    trust_admin = Actor(
        user_id=2,
        staff_id=2,
        trust_id=TRUST,
        trust_roles=frozenset({Role.TRUST_ADMIN}),
        trust_school_ids=frozenset({SCHOOL, OTHER_SCHOOL}),
    )
    assert may_manage_role(trust_admin, Role.TRUST_ADMIN, None)
    assert may_manage_role(trust_admin, Role.HEADTEACHER, OTHER_SCHOOL)
    assert not may_manage_role(trust_admin, Role.HEADTEACHER, OUTSIDE_SCHOOL)
