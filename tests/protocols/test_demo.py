"""The demo loader stores valid protocols through the upload service."""

from __future__ import annotations

import pytest

from chaperone.protocols.demo import load_demo_protocols
from chaperone.protocols.effective import effective_protocol_for_school, today_at

pytestmark = pytest.mark.django_db


def test_demo_protocols(tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    versions = load_demo_protocols(
        trust=tenant_a.trust, primary_school=tenant_a.school, independent_trust=tenant_b.trust
    )
    assert [v.protocol.slug for v in versions] == [
        "northgate-one-to-one",
        "alpha-primary-additions",
        "quillbrook-remote-sessions",
    ]
    primary = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    assert primary.protocol.based_on.id == "northgate-one-to-one"
    assert not primary.overlay_problems
    assert (
        effective_protocol_for_school(
            tenant_a.other_school, on=today_at(tenant_a.other_school)
        ).protocol.id
        == "northgate-one-to-one"
    )
    assert (
        effective_protocol_for_school(tenant_b.school, on=today_at(tenant_b.school)).protocol.id
        == "quillbrook-remote-sessions"
    )


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


def test_demo_protocols_name_no_real_organisation(tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    """Newcomer defect 13: the fictional demo's protocols named the real trust and school
    behind the templates, and said "(for this template: ...)"."""
    from chaperone import rules
    from chaperone.protocols.demo import DEMO_INDEPENDENT_PROTOCOL, demo_protocol_source

    load_demo_protocols(
        trust=tenant_a.trust, primary_school=tenant_a.school, independent_trust=tenant_b.trust
    )
    for school in (tenant_a.school, tenant_a.other_school, tenant_b.school):
        protocol = effective_protocol_for_school(school, on=today_at(school)).protocol
        for audience in ("staff", "parent"):
            text = rules.render_text(rules.build_document(protocol, audience))
            for real in ("NPAT", "Haberdashers", "Monmouth", "for this template"):
                assert real not in text, (school, audience, real)
    # the templates keep their sources' names
    assert rules.load_template("habs-monmouth").owner.name == "Haberdashers' Monmouth Schools"
    assert "Quillbrook College" in demo_protocol_source(DEMO_INDEPENDENT_PROTOCOL)


@pytest.mark.parametrize(
    ("demo_id", "template_id"),
    [("northgate-one-to-one", "npat-one-to-one"), ("quillbrook-remote-sessions", "habs-monmouth")],
)
def test_demo_protocols_decide_as_the_templates_they_derive_from(demo_id, template_id) -> None:  # type: ignore[no-untyped-def]
    """Same readings as the template (SLT waiver with a second adult, phone calls outside a
    video-only protocol, no video reminders on a phone call): the same outcome and the same
    findings, rule by rule, on random requests."""
    import random

    from chaperone import rules
    from chaperone.protocols.demo import demo_protocol_source
    from tests.rules.corpus import random_request

    demo = rules.load_protocol_text(demo_protocol_source(demo_id))
    template = rules.load_template(template_id)
    assert [r.id for r in demo.rules] == [r.id for r in template.rules]
    rng = random.Random(8)
    for _ in range(2000):
        request = rules.parse_request(random_request(rng))
        ours, theirs = rules.decide(demo, request), rules.decide(template, request)
        assert ours.outcome == theirs.outcome
        assert [(f.rule_id, f.code) for f in ours.findings] == [
            (f.rule_id, f.code) for f in theirs.findings
        ]
