"""Fail closed on inheritance: a trust version that drops or changes a rule a school's additions
build on never silently switches them off (newcomer review, defect 2)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from chaperone import rules
from chaperone.audit.models import AuditEvent
from chaperone.people.actors import actor_for_user
from chaperone.protocols.demo import template_source
from chaperone.protocols.effective import (
    effective_protocol_for_school,
    strictest_decision,
    today_at,
)
from chaperone.protocols.inheritance import overlay_fit
from chaperone.protocols.models import OverlayOutOfStep, ProtocolDecision
from chaperone.protocols.services import protocol_decide
from chaperone.protocols.uploads import (
    NothingToConfirm,
    protocol_additions_confirm,
    protocol_upload_check,
)
from chaperone.tenancy.policies import SYSTEM
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, trust_version

pytestmark = pytest.mark.django_db

UPLOAD = reverse("protocols:upload")


def without_approved_platforms() -> str:
    """The trust's protocol, version 2026.2, with the ``approved-platforms`` rule dropped (the
    school's additions raise that rule's effect)."""
    text = bump(template_source("npat-one-to-one"), "2026.2")
    dropped = re.sub(r'\[\[rules\]\]\nid = "approved-platforms"\n(?:[^\[\n].*\n|\n)*', "", text)
    assert 'id = "approved-platforms"' not in dropped
    return dropped


def late_bedroom_call(school, **changes: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A pastoral one-to-one at 21:00 from the pupil's bedroom, every step done (newcomer
    review, defect 2: "Allowed" once the trust dropped the rule)."""
    at = dt.datetime.combine(today_at(school) + dt.timedelta(days=1), dt.time(21, 0), tzinfo=dt.UTC)
    request: dict[str, Any] = {
        "at": at.isoformat(),
        "duration_minutes": 30,
        "kind": "one_to_one",
        "purpose": "pastoral",
        "platform": "teams",
        "account": "school",
        "device": "school",
        "staff_location": "on_site",
        "staff": [{"role": "tutor"}],
        "pupils": [{"age": 10}],
        "recording": True,
        "slt_approved": True,
        "risk_assessed": True,
        "on_dsl_timetable": True,
        "dsl_invited": True,
        "linked_to_plan": True,
        "waiting_room": True,
        "pupil_location": "bedroom",
    }
    request.update(changes)
    return request


def decide(school, request: dict[str, Any]) -> rules.Decision:  # type: ignore[no-untyped-def]
    actor = actor_for_user(make_staff(school, Role.TUTOR).user)
    return protocol_decide(actor=actor, school=school, request_data=request, record=False)[0]


def test_regression_defect_2_bedroom_refusal_survives_a_trust_version_without_the_rule(
    tenant_a, overlay
) -> None:  # type: ignore[no-untyped-def]
    before = decide(tenant_a.school, late_bedroom_call(tenant_a.school))
    assert before.outcome == "refused" and "BEDROOM_LOCATION" in before.codes
    trust_version(tenant_a.trust, text=without_approved_platforms())
    after = decide(tenant_a.school, late_bedroom_call(tenant_a.school))
    assert after.outcome == "refused"
    assert "BEDROOM_LOCATION" in after.codes
    # the school's other additions still bite too (a lobby on every video call)
    lobby = decide(tenant_a.school, late_bedroom_call(tenant_a.school, waiting_room=False))
    assert "WAITING_ROOM_REQUIRED" in lobby.codes


def test_the_strictest_reading_lists_each_finding_once(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=without_approved_platforms())
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    assert effective.out_of_step and effective.last_complete is not None
    request = rules.parse_request(late_bedroom_call(tenant_a.school, platform="meet"))
    decision = effective.decide(request)
    keys = [(f.rule_id, f.code) for f in decision.findings]
    assert len(keys) == len(set(keys))
    # Meet is refused by the school's last complete protocol, although the new trust version
    # no longer has a platform rule at all
    assert "PLATFORM_NOT_APPROVED" in decision.codes
    ranks = [{"refuse": 0, "pending": 1, "info": 2}[f.effect] for f in decision.findings]
    assert ranks == sorted(ranks)


def test_strictest_decision_takes_the_stricter_outcome() -> None:
    lenient = rules.load_template("werrington-primary")
    strict = rules.load_template("npat-one-to-one")
    request = rules.parse_request(
        {
            "at": "2026-11-24T14:00:00+00:00",
            "duration_minutes": 30,
            "kind": "one_to_one",
            "purpose": "teaching",
            "platform": "teams",
            "account": "school",
            "device": "school",
            "staff_location": "on_site",
            "staff": [{"role": "teacher"}],
            "pupils": [{"age": 10}],
            "parent_present": True,
            "waiting_room": True,
        }
    )
    alone = rules.decide(lenient, request)
    both = strictest_decision(lenient, strict, request)
    assert alone.outcome != "refused" and both.outcome == "refused"
    assert set(rules.decide(strict, request).codes) <= set(both.codes)


def test_each_addition_is_judged_on_its_own(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    base = rules.load_protocol_text(without_approved_platforms())
    fit = overlay_fit(base, rules.load_overlay_text(overlay.source_text))
    assert not fit.fits
    assert [a.key for a in fit.no_longer_fit] == ["approved-platforms"]
    assert {"shared-room", "lobby-on-every-call", "meet"} <= {a.key for a in fit.still_fit}
    assert fit.merged is not None and fit.merged.rule("shared-room").code == "BEDROOM_LOCATION"


def test_preview_names_the_school_and_what_no_longer_fits(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    check = protocol_upload_check(
        actor=SYSTEM,
        school=tenant_a.school,
        source_text=without_approved_platforms(),
    )
    by_school = {e.school.pk: e for e in check.school_effects}
    assert by_school[tenant_a.school.pk].status == "out_of_step"
    assert by_school[tenant_a.other_school.pk].status == "no_additions"
    assert [e.school for e in check.schools_out_of_step] == [tenant_a.school]
    assert not OverlayOutOfStep.objects.exists()  # a check stores nothing


def test_trust_upload_page_previews_the_effect_then_stores(
    tenant_a, overlay, login_as, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    client = login_as(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    text = without_approved_platforms()
    preview = client.post(UPLOAD, {"source_text": text})
    body = preview.content.decode()
    assert "1 school would be out of step:</strong> Alpha Primary" in body
    assert "The trust&#x27;s rule &#x27;approved-platforms&#x27; made stricter" in body
    assert "Alpha Secondary" in body and "No additions" in body
    with django_capture_on_commit_callbacks(execute=True):
        stored = client.post(
            UPLOAD,
            {"source_text": text, "sha256": preview.context["check"].sha256, "confirm": "1"},
        )
    assert stored.status_code == 302
    mark = OverlayOutOfStep.objects.get()
    assert mark.school == tenant_a.school and mark.notified_at is not None
    assert mark.recipient_staff_ids == [head.pk]
    (message,) = mail.outbox
    assert message.to == [head.email]
    assert "no longer fit" in message.subject and "Nothing has been switched off" in message.body


def test_every_school_of_the_trust_has_the_trust_upload_in_its_audit_log(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    version = trust_version(tenant_a.trust, text=without_approved_platforms())
    events = [
        e
        for e in AuditEvent.objects.filter(action="protocol.trust_version_applied")
        if e.details["version"] == "2026.2"
    ]
    by_school = {e.school_id: e.details for e in events}
    assert set(by_school) == {tenant_a.school.pk, tenant_a.other_school.pk}
    assert by_school[tenant_a.school.pk]["additions"] == "out_of_step"
    assert by_school[tenant_a.school.pk]["no_longer_fit"] == ["approved-platforms"]
    assert by_school[tenant_a.other_school.pk]["additions"] == "no_additions"
    assert all(e.trust_id == tenant_a.trust.pk for e in events)
    assert version.pk  # stored
    # the head of the school (who does not see the trust's own events) sees it in its log
    page = login_as(tenant_a.school, Role.HEADTEACHER).get(reverse("audit:event_list"))
    assert "A trust protocol version was stored for this school" in page.content.decode()


def test_head_sees_the_warning_on_dashboard_and_protocol_page(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=without_approved_platforms())
    head = login_as(tenant_a.school, Role.HEADTEACHER)
    dashboard = head.get(reverse("dashboard")).content.decode()
    assert "Alpha Primary's protocol additions are out of step" in dashboard
    page = head.get(reverse("protocols:current")).content.decode()
    assert "out of step with the trust" in page and "Confirm: keep only" in page
    teacher = login_as(tenant_a.school, Role.TEACHER)
    assert "out of step" not in teacher.get(reverse("dashboard")).content.decode()
    try_page = teacher.get(reverse("protocols:try")).content.decode()
    assert "each check uses the school's last complete protocol" in try_page


def test_a_saved_check_while_out_of_step_records_it(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    newer = trust_version(tenant_a.trust, text=without_approved_platforms())
    actor = actor_for_user(make_staff(tenant_a.school, Role.TUTOR).user)
    _, row = protocol_decide(
        actor=actor, school=tenant_a.school, request_data=late_bedroom_call(tenant_a.school)
    )
    assert row is not None and row.outcome == "refused"
    assert row.version_id == overlay.pk and row.base_version_id == newer.pk
    event = AuditEvent.objects.filter(action="protocol.decision_recorded").get()
    assert event.details["out_of_step"] is True
    assert ProtocolDecision.objects.count() == 1


def test_confirming_keeps_the_additions_that_still_fit(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=without_approved_platforms())
    client = login_as(tenant_a.school, Role.HEADTEACHER)
    response = client.post(reverse("protocols:confirm_additions"))
    assert response.status_code == 302
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    assert effective.confirmed and not effective.out_of_step
    assert effective.origin("shared-room") == "school"
    decision = decide(tenant_a.school, late_bedroom_call(tenant_a.school))
    assert "BEDROOM_LOCATION" in decision.codes
    event = AuditEvent.objects.get(action="protocol.additions_confirmed")
    assert event.school_id == tenant_a.school.pk
    assert event.details["dropped"] == ["approved-platforms"]
    assert "out of step" not in client.get(reverse("dashboard")).content.decode()
    with pytest.raises(NothingToConfirm):
        protocol_additions_confirm(actor=SYSTEM, school=tenant_a.school)


def test_teachers_cannot_confirm(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=without_approved_platforms())
    client = login_as(tenant_a.school, Role.TEACHER)
    assert client.post(reverse("protocols:confirm_additions")).status_code == 403
    assert not OverlayOutOfStep.objects.filter(confirmed_at__isnull=False).exists()


def test_a_trust_version_that_still_fits_changes_nothing_for_the_school(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=bump(template_source("npat-one-to-one"), "2026.2"))
    effective = effective_protocol_for_school(tenant_a.school, on=today_at(tenant_a.school))
    assert not effective.out_of_step and effective.applies_additions
    assert not OverlayOutOfStep.objects.exists() and not mail.outbox


def test_the_decision_uses_the_protocol_in_force_on_the_requests_date(tenant_a, overlay) -> None:  # type: ignore[no-untyped-def]
    """A call booked for after a scheduled trust version is judged under that version."""
    text = without_approved_platforms().replace("effective = 2026-09-01", "effective = 2099-01-04")
    trust_version(tenant_a.trust, text=text.replace("review = 2027-09-01", "review = 2100-01-04"))
    today = decide(tenant_a.school, late_bedroom_call(tenant_a.school, platform="other"))
    assert today.protocol_id == "alpha-primary-additions"
    later = late_bedroom_call(tenant_a.school, platform="other", at="2099-02-02T10:00:00+00:00")
    decision = decide(tenant_a.school, later)
    assert decision.protocol_id == "npat-one-to-one" and decision.protocol_version == "2026.2"
    assert "PLATFORM_NOT_APPROVED" in decision.codes  # the old protocol still refuses it


def test_documents_while_out_of_step_show_both_read_together(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, text=without_approved_platforms())
    client = login_as(tenant_a.school, Role.TEACHER)
    staff = client.get(reverse("protocols:current")).content.decode()
    assert "never from a bedroom" in staff  # the school's rule, still in force
    assert "Made stricter by the school" in staff  # its raised platform rule
    parent = client.get(reverse("protocols:parent")).content.decode()
    reach = parent.split("How to reach us")[1]
    assert "Microsoft Teams, Zoom" in reach and "Google Meet" not in reach
    assert "Please set your child up in a shared room" in parent


def _additions_with_placeholders() -> rules.ProtocolOverlay:
    return rules.load_overlay_text(
        """
extends = "npat-one-to-one"
id = "placeholder-additions"
title = "Additions"
version = "2026.1"
effective = 2026-09-01
review = 2027-09-01
deny_platforms = ["meet"]

[owner]
kind = "school"
name = "Alpha Primary"

[raise_effect]
approved-platforms = "refuse"

[[rules]]
id = "calls-logged"
code = "SESSION_LOG"
effect = "info"
label = "Log calls on {platforms}; keep the log {retention_days} days"
text = "Calls on {platforms} are logged and the log kept for {retention_days} days."
"""
    )


def test_the_preview_describes_a_rule_with_its_placeholders_filled() -> None:
    """The trust-upload preview showed a school's rule as written, "{platforms}" and all."""
    additions = _additions_with_placeholders()
    wanted = "Log calls on Microsoft Teams or Zoom; keep the log 20 days"
    for base_text in (template_source("npat-one-to-one"), without_approved_platforms()):
        fit = overlay_fit(rules.load_protocol_text(base_text), additions)
        (rule,) = [a for a in fit.additions if a.kind == "rule"]
        assert rule.fits and rule.description == wanted


def test_a_rule_that_cannot_join_is_described_as_written() -> None:
    base = rules.load_protocol_text(
        template_source("npat-one-to-one")
        .replace("retention_days = 20\n", "", 1)
        .replace("{retention_days} days", "a while")
    )
    fit = overlay_fit(base, _additions_with_placeholders())
    (rule,) = [a for a in fit.additions if a.kind == "rule"]
    assert not rule.fits and "{retention_days}" in rule.description
    assert any("sets no retention_days" in p for p in rule.problems)
