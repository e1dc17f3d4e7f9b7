"""Storage: versions are immutable, owners are exactly one, scope follows the trust."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import IntegrityError, transaction

from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.protocols.demo import template_source
from chaperone.protocols.effective import effective_protocol_for_school, protocol_cache, today_at
from chaperone.protocols.models import ImmutableVersionError, Protocol, ProtocolVersion
from chaperone.protocols.uploads import ProtocolUploadError
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, trust_version

pytestmark = pytest.mark.django_db


def test_version_keeps_the_text_exactly_with_its_hash(npat) -> None:  # type: ignore[no-untyped-def]
    text = template_source("npat-one-to-one")
    stored = ProtocolVersion.objects.get(pk=npat.pk)
    assert stored.source_text == text
    assert stored.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert (stored.version_label, stored.title) == (
        "2026.1",
        "NPAT: one-to-one online sessions with pupils",
    )
    assert str(stored.effective_on) == "2026-09-01" and str(stored.review_on) == "2027-09-01"
    assert stored.uploaded_by_name == "System"
    assert stored.protocol.slug == "npat-one-to-one"
    assert (
        AuditEvent.objects.filter(
            action="protocol.version_uploaded", target_id=str(npat.pk)
        ).count()
        == 1
    )


def test_a_stored_version_cannot_be_rewritten(npat) -> None:  # type: ignore[no-untyped-def]
    npat.source_text = "id = 'changed'"
    with pytest.raises(ImmutableVersionError):
        npat.save()
    with pytest.raises(ImmutableVersionError):
        ProtocolVersion.objects.filter(pk=npat.pk).update(source_text="changed")
    assert ProtocolVersion.objects.get(pk=npat.pk).source_text == template_source("npat-one-to-one")


def test_a_new_version_leaves_the_old_one_untouched(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    old_text = ProtocolVersion.objects.get(pk=npat.pk).source_text
    newer = trust_version(tenant_a.trust, text=bump(old_text, "2026.2"))
    assert newer.protocol_id == npat.protocol_id
    assert ProtocolVersion.objects.get(pk=npat.pk).source_text == old_text
    assert list(npat.protocol.versions.order_by("id").values_list("version_label", flat=True)) == [
        "2026.1",
        "2026.2",
    ]
    assert (
        effective_protocol_for_school(
            tenant_a.school, on=today_at(tenant_a.school)
        ).trust_version.pk
        == newer.pk
    )


def test_the_same_label_twice_is_refused_naming_the_version(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProtocolUploadError) as exc:
        trust_version(tenant_a.trust, "npat-one-to-one")
    assert exc.value.problems[0].startswith("version: '2026.1' is already stored")
    assert ProtocolVersion.objects.count() == 1


def test_another_protocol_id_is_refused(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProtocolUploadError) as exc:
        trust_version(tenant_a.trust, "werrington-primary")
    assert "id: this protocol is 'npat-one-to-one'" in exc.value.problems[0]


def test_a_protocol_has_exactly_one_owner(tenant_a) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError), transaction.atomic():
        Protocol.objects.create(slug="x", owner_trust=tenant_a.trust, owner_school=tenant_a.school)
    with pytest.raises(IntegrityError), transaction.atomic():
        Protocol.objects.create(slug="x")


def test_engine_errors_name_rule_and_field(tenant_a) -> None:  # type: ignore[no-untyped-def]
    text = template_source("npat-one-to-one").replace(
        'effect = "pending"', 'effect = "sometimes"', 1
    )
    with pytest.raises(ProtocolUploadError) as exc:
        trust_version(tenant_a.trust, text=text)
    assert any(p.startswith("rule 'clear-outcome': effect") for p in exc.value.problems)
    assert not ProtocolVersion.objects.exists()


def test_trust_protocol_is_visible_in_every_school_of_the_trust_only(
    tenant_a, tenant_b, overlay
) -> None:  # type: ignore[no-untyped-def]
    teacher_other_school = actor_for_user(make_staff(tenant_a.other_school, Role.TEACHER).user)
    teacher_primary = actor_for_user(make_staff(tenant_a.school, Role.TEACHER).user)
    outsider = actor_for_user(make_staff(tenant_b.school, Role.HEADTEACHER).user)

    def seen(actor):  # type: ignore[no-untyped-def]
        return set(
            ProtocolVersion.objects.for_actor(actor, "protocol.view").values_list(
                "protocol__slug", flat=True
            )
        )

    assert seen(teacher_primary) == {"npat-one-to-one", "alpha-primary-additions"}
    assert seen(teacher_other_school) == {"npat-one-to-one"}
    assert seen(outsider) == set()
    assert Protocol.objects.for_actor(teacher_other_school, "protocol.view").count() == 1


def test_effective_protocol_is_compiled_once_per_version_pair(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    first = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    misses = protocol_cache.misses
    second = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    assert second.protocol is first.protocol
    assert protocol_cache.misses == misses
    assert [v.pk for v in first.versions] == [overlay.base_version_id, overlay.pk]
    assert first.origin("recorded") == "trust"
    assert first.origin("lobby-on-every-call") == "school"
    assert first.origin("approved-platforms") == "tightened"
    assert "meet" not in first.protocol.platforms
    other = effective_protocol_for_school(tenant_a.other_school, on=today_at(tenant_a.other_school))
    assert [v.pk for v in other.versions] == [overlay.base_version_id]


def test_a_version_applies_from_its_effective_date(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    """A version uploaded now for next term is shown in the history but not followed yet."""
    from chaperone.protocols.selectors import version_histories

    text = ProtocolVersion.objects.get(pk=npat.pk).source_text
    later = bump(text, "2027.1", review="2100-09-01")
    later = later.replace("effective = 2026-09-01", "effective = 2099-09-01", 1)
    future = trust_version(tenant_a.trust, text=later)
    assert (
        effective_protocol_for_school(
            tenant_a.school, on=today_at(tenant_a.school)
        ).trust_version.pk
        == npat.pk
    )
    admin = actor_for_user(make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust).user)
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    history = version_histories(actor=admin, school=tenant_a.school, effective=effective)[0]
    current = [e.version.pk for e in history.entries if e.is_current]
    scheduled = [e.version.pk for e in history.entries if e.is_scheduled]
    assert current == [npat.pk] and scheduled == [future.pk]
    on_the_day = effective_protocol_for_school(tenant_a.school, on=dt.date(2099, 9, 1))
    assert on_the_day.trust_version.pk == future.pk
