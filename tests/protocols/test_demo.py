"""The demo loader stores valid protocols through the upload service."""

from __future__ import annotations

import pytest

from chaperone.protocols.demo import load_demo_protocols
from chaperone.protocols.services import effective_protocol_for_school

pytestmark = pytest.mark.django_db


def test_demo_protocols(tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    versions = load_demo_protocols(
        trust=tenant_a.trust, primary_school=tenant_a.school, independent_trust=tenant_b.trust
    )
    assert [v.protocol.slug for v in versions] == [
        "npat-one-to-one",
        "alpha-primary-additions",
        "habs-monmouth",
    ]
    primary = effective_protocol_for_school(tenant_a.school)
    assert primary.protocol.based_on.id == "npat-one-to-one"
    assert not primary.overlay_problems
    assert effective_protocol_for_school(tenant_a.other_school).protocol.id == "npat-one-to-one"
    assert effective_protocol_for_school(tenant_b.school).protocol.id == "habs-monmouth"


def test_demo_hook_shape_loads_and_deletes(tenant_a, tenant_b, overlay) -> None:  # type: ignore[no-untyped-def]
    from chaperone.protocols.demo import delete_for_demo_tenants, load_for_demo_tenants
    from chaperone.protocols.models import Protocol, ProtocolVersion

    groups = [
        (tenant_a.trust, [tenant_a.school, tenant_a.other_school]),
        (tenant_b.trust, [tenant_b.school]),
    ]
    delete_for_demo_tenants(groups)
    assert not Protocol.objects.exists()
    load_for_demo_tenants(groups)
    assert ProtocolVersion.objects.count() == 3
    delete_for_demo_tenants(groups)
    assert not ProtocolVersion.objects.exists()
