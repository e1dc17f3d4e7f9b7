"""Targets say where they belong with ``audit_scope()``; the audit log guesses nothing."""

from __future__ import annotations

import pytest

from chaperone.audit.log import record
from chaperone.audit.models import AuditChainHead, AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.tenancy.policies import Actor
from tests.factories import HouseholdFactory, PupilFactory, StaffFactory, UserFactory
from tests.protocols.factories import school_overlay_version, trust_version

pytestmark = pytest.mark.django_db


def test_every_kind_of_target_files_the_event_under_its_own_school_and_trust(tenant_a) -> None:
    school, trust = tenant_a.school.pk, tenant_a.trust.pk
    cases = [
        (tenant_a.school, school, trust),
        (tenant_a.trust, None, trust),
        (PupilFactory(school=tenant_a.school), school, trust),
        (HouseholdFactory(trust=tenant_a.trust), None, trust),
        (StaffFactory(trust=tenant_a.trust), None, trust),
        (trust_version(tenant_a.trust), None, trust),
        (school_overlay_version(tenant_a.school), school, trust),
    ]
    for target, school_id, trust_id in cases:
        event = record("audit.viewed", actor=None, target=target)
        assert (event.school_id, event.trust_id) == (school_id, trust_id), target
        again = record("audit.viewed", actor=None, target=event)
        assert (again.school_id, again.trust_id) == (school_id, trust_id)


def test_a_target_that_does_not_say_where_it_belongs_is_refused_and_nothing_is_written() -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(TypeError, match=r"audit\.AuditChainHead .*audit_scope"):
        record("audit.viewed", actor=None, target=AuditChainHead(seq=0, hash="x"))
    assert AuditEvent.objects.count() == before


def test_the_actor_names_itself(tenant_a) -> None:
    named = Actor(user_id=None, staff_id=10**9, label="Named by the actor")
    assert record("audit.viewed", actor=named).actor_label == "Named by the actor"
    login = UserFactory(username="ops-login")  # a login with no staff record
    assert record("audit.viewed", actor=actor_for_user(login)).actor_label == "ops-login"
