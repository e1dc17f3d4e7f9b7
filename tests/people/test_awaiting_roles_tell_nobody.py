"""A role grant awaiting confirmation gives no permission, so the "who to tell" queries skip it.

The case that matters is a person who holds a confirmed ordinary role *and* an unconfirmed
safeguarding or leadership role at the same place: a query whose "not awaiting" condition and
"role" condition land on two different joins of the person's assignments would count them.
"""

from __future__ import annotations

import pytest

from chaperone.people.models import StaffAssignment, StaffMember
from chaperone.people.selectors import dsl_emails_of_trust, flag_confirmers, staff_with_permission
from chaperone.protocols.effective import compiled_version
from chaperone.protocols.reminders import reminder_recipients, school_leads
from chaperone.protocols.selectors import school_contacts
from chaperone.tenancy.models import School
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import school_overlay_version, trust_version

pytestmark = pytest.mark.django_db


def _awaiting(staff: StaffMember, school: School | None, *roles: str) -> None:
    for role in roles:
        StaffAssignment.objects.create(
            staff=staff, school=school, role=role, awaiting_confirmation=True
        )


@pytest.fixture
def alpha(tenant_a):  # type: ignore[no-untyped-def]
    """Tenant A's primary: a confirmed head, DSL, deputy DSL and trust admin, and a teacher whose
    grants of every one of those roles still wait for a second person."""
    school = tenant_a.school
    confirmed = {
        "head": make_staff(school, Role.HEADTEACHER, email="head@alpha.example"),
        "dsl": make_staff(school, Role.DSL, email="dsl@alpha.example"),
        "deputy": make_staff(school, Role.DEPUTY_DSL, email="deputy@alpha.example"),
        "admin": make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust, email="ta@alpha.example"),
    }
    waiting = make_staff(school, Role.TEACHER, email="waiting@alpha.example")
    _awaiting(waiting, school, Role.HEADTEACHER, Role.DSL, Role.DEPUTY_DSL)
    _awaiting(waiting, None, Role.TRUST_ADMIN)
    return tenant_a, confirmed, waiting


def test_people_queries_count_only_confirmed_roles(alpha) -> None:  # type: ignore[no-untyped-def]
    tenant, confirmed, _waiting = alpha
    school = tenant.school
    # trust administrators may do every action in their trust's schools
    deciders = staff_with_permission(action="people.confirm_flag_changes", school=school)
    assert set(deciders) == {confirmed["dsl"], confirmed["deputy"], confirmed["admin"]}
    auditors = staff_with_permission(action="audit.view", school=school)
    assert set(auditors) == {confirmed["head"], *deciders}
    assert set(flag_confirmers(school=school)) == {confirmed["dsl"], confirmed["deputy"]}
    assert dsl_emails_of_trust(tenant.trust.pk) == ["dsl@alpha.example"]


def test_protocol_queries_count_only_confirmed_roles(alpha) -> None:  # type: ignore[no-untyped-def]
    tenant, confirmed, _waiting = alpha
    school = tenant.school
    leads = [confirmed["head"], confirmed["dsl"]]
    assert set(school_leads(school.pk)) == set(leads)

    trust_protocol = trust_version(tenant.trust)
    assert reminder_recipients(trust_protocol) == [confirmed["admin"]]
    assert set(reminder_recipients(school_overlay_version(school))) == set(leads)

    contacts = school_contacts(school=school, protocol=compiled_version(trust_protocol))
    assert contacts.dsl == (confirmed["dsl"],)


def test_a_standalone_schools_reminders_skip_awaiting_grants(tenant_b) -> None:  # type: ignore[no-untyped-def]
    school = tenant_b.school
    head = make_staff(school, Role.HEADTEACHER, email="head@beta.example")
    waiting = make_staff(school, Role.TEACHER, email="waiting@beta.example")
    _awaiting(waiting, school, Role.HEADTEACHER, Role.DSL)
    assert reminder_recipients(trust_version(tenant_b.trust)) == [head]
