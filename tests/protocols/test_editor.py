"""The protocol editor's service: each kind of edit makes a valid version through the upload
service, loosening edits come back on the field that caused them, and a template as a starting
point keeps only what tightens."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chaperone import rules
from chaperone.people.actors import actor_for_user
from chaperone.protocols import editor
from chaperone.protocols.effective import (
    effective_protocol_for_school,
    protocol_for_version,
    today_at,
)
from chaperone.protocols.toml_text import toml_text
from chaperone.tenancy.roles import Role
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def head(tenant_a):  # type: ignore[no-untyped-def]
    return actor_for_user(make_staff(tenant_a.school, Role.HEADTEACHER).user)


@pytest.fixture
def target(tenant_a, overlay) -> editor.Target:  # type: ignore[no-untyped-def]
    return editor.target_for(tenant_a.school, "school")


def save(head, target, **changes):  # type: ignore[no-untyped-def]
    edits = dataclasses.replace(editor.current_edits(target, TODAY), **changes)
    version = editor.protocol_edit_save(actor=head, target=target, edits=edits)
    return version, protocol_for_version(version)


def refused(head, target, **changes) -> list[tuple[str | None, str]]:  # type: ignore[no-untyped-def]
    edits = dataclasses.replace(editor.current_edits(target, TODAY), **changes)
    checked = editor.check(actor=head, target=target, edits=edits)
    assert checked.protocol is None
    with pytest.raises(editor.EditorError) as exc:
        editor.protocol_edit_save(actor=head, target=target, edits=edits)
    assert exc.value.problems == list(checked.problems)  # the preview and the save agree
    return exc.value.problems


def test_the_library_holds_every_template_rule_with_its_reason() -> None:
    library = editor.rule_library()
    for template_id in rules.template_ids():
        template = rules.load_template(template_id)
        keys = {lib.key for lib in library if lib.template_id == template_id}
        assert keys == {f"{template_id}:{r.id}" for r in template.rules}
    assert library[0].template_id == "chaperone-recommended"
    assert all(lib.why for lib in library if lib.template_id == "chaperone-recommended")


def test_toml_text_reads_back_as_the_same_protocol() -> None:
    for template_id in rules.template_ids():
        template = rules.load_template(template_id)
        text = toml_text(template.model_dump(exclude_none=True))
        assert rules.load_protocol_text(text) == template


def test_no_change_saves_an_equal_version(head, target, overlay) -> None:  # type: ignore[no-untyped-def]
    version, protocol = save(head, target)
    assert version.version_label == "2026.2" and version.base_version_id == overlay.base_version_id
    before = target.in_force
    diff = rules.diff_protocols(before, protocol)
    assert {c.field for c in diff.metadata} == {"version", "effective"}
    assert not (diff.rules_added or diff.rules_removed or diff.rules_changed)


def test_lengthen_retention(head, target) -> None:  # type: ignore[no-untyped-def]
    _, protocol = save(head, target, retention_days=45)
    assert protocol.retention_days == 45


def test_drop_a_platform(head, target) -> None:  # type: ignore[no-untyped-def]
    _, protocol = save(head, target, platforms=("teams",))
    assert protocol.platforms == ["teams"]


def test_raise_an_effect_with_its_remedy(head, target) -> None:  # type: ignore[no-untyped-def]
    effects = {**editor.current_edits(target, TODAY).effects, "session-log": "pending"}
    _, protocol = save(
        head, target, effects=effects, remedies={"session-log": "Log the call before it starts."}
    )
    rule = protocol.rule("session-log")
    assert rule.effect == "pending" and rule.remedy == "Log the call before it starts."


def test_add_a_library_rule_in_the_schools_words(head, target) -> None:  # type: ignore[no-untyped-def]
    key = "chaperone-recommended:school-day"
    words = "We only call pupils between half past eight and half past five on school days."
    _, protocol = save(head, target, add=(key,), add_texts={key: words})
    rule = protocol.rule("school-day")
    assert rule.text == words and "school_day" in protocol.windows
    assert rules.load_template("chaperone-recommended").rule("school-day").why == rule.why
    # a second school-day rule from another template gets its own id, and its windows theirs
    target = editor.target_for(target.school, "school")
    _, protocol = save(
        head,
        target,
        version="2026.3",
        add=("habs-monmouth:pastoral-hours", "habs-monmouth:session-log"),
    )
    ids = {r.id for r in protocol.rules}
    assert {"school-day", "pastoral-hours", "session-log", "habs-monmouth-session-log"} <= ids
    assert {"school_day", "lunchtime", "tutor_time"} <= set(protocol.windows)


def test_tighten_a_window_and_reword_an_own_rule(head, target) -> None:  # type: ignore[no-untyped-def]
    save(head, target, add=("chaperone-recommended:school-day",))
    target = editor.target_for(target.school, "school")
    edits = editor.current_edits(target, TODAY)
    windows = {**edits.windows, "school_day": {**edits.windows["school_day"], "end": "16:00"}}
    _, protocol = save(
        head,
        target,
        version="2026.3",
        windows=windows,
        texts={"clothing": "Everyone in view is dressed for school."},
    )
    assert protocol.windows["school_day"].end == "16:00"
    assert protocol.rule("clothing").text == "Everyone in view is dressed for school."


def test_loosening_edits_are_refused_on_their_fields(head, target) -> None:  # type: ignore[no-untyped-def]
    problems = refused(head, target, retention_days=5)
    assert [f for f, _ in problems] == ["retention_days"]
    problems = refused(head, target, platforms=("teams", "zoom", "phone"))
    assert "platforms" in [f for f, _ in problems]
    effects = {**editor.current_edits(target, TODAY).effects, "recorded": "info"}
    problems = refused(head, target, effects=effects)
    assert problems[0][0] == "effect__recorded" and "loosens" in problems[0][1]
    effects = {**editor.current_edits(target, TODAY).effects, "session-log": "refuse"}
    problems = refused(head, target, effects=effects)
    assert [f for f, _ in problems] == ["remedy__session-log"]
    problems = refused(head, target, version="2026.1")
    assert [f for f, _ in problems] == ["version"]


def test_the_trust_protocol_is_edited_the_same_way(tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    admin = actor_for_user(make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust).user)
    target = editor.target_for(tenant_a.school, "trust")
    _, protocol = save(
        admin, target, retention_days=30, add=("chaperone-recommended:waiting-room",)
    )
    assert protocol.retention_days == 30 and protocol.owner.kind == "trust"
    assert "waiting-room" in {r.id for r in protocol.rules}
    school = effective_protocol_for_school(
        tenant_a.other_school, on=today_at(tenant_a.other_school)
    )
    assert school is not None and school.protocol.version == "2026.2"


def test_a_school_cannot_save_the_trusts_protocol(head, tenant_a, npat) -> None:  # type: ignore[no-untyped-def]
    target = editor.target_for(tenant_a.school, "trust")
    with pytest.raises(editor.EditorError) as exc:
        editor.protocol_edit_save(
            actor=head, target=target, edits=editor.current_edits(target, TODAY)
        )
    assert "only the trust's administrators" in str(exc.value)


def test_a_template_as_a_starting_point_keeps_only_what_tightens(head, target) -> None:  # type: ignore[no-untyped-def]
    template = rules.load_template("werrington-primary")
    start = editor.starting_point(target.in_force, template)
    edits = editor.edits_from_template(target, template, TODAY)
    checked = editor.check(actor=head, target=target, edits=edits)
    assert checked.protocol is not None, checked.problems
    merged = checked.protocol
    # nothing the school follows now is loosened ...
    assert set(merged.platforms) <= set(target.in_force.platforms)
    assert merged.retention_days >= target.in_force.retention_days
    for rule in target.in_force.rules:
        assert (
            rules.vocab.EFFECT_RANK[merged.rule(rule.id).effect]
            >= rules.vocab.EFFECT_RANK[rule.effect]
        )
    # ... what would loosen is left out and said
    for platform in set(template.platforms) - set(target.in_force.platforms):
        assert any(rules.document.PLATFORM_NAMES[platform] in s.lower() for s in start.left_out)
    # ... and the template's own rules now apply
    assert all(key.startswith("werrington-primary:") for key in start.add) and start.add
    version, _ = save(head, target, **{f: getattr(edits, f) for f in ("platforms", "add")})
    assert version.pk


def test_a_shorter_retention_in_a_template_is_left_out(target) -> None:  # type: ignore[no-untyped-def]
    template = rules.load_template("chaperone-recommended")
    shorter = template.model_copy(update={"retention_days": 5})
    start = editor.starting_point(target.in_force, shorter)
    assert start.retention_days == target.in_force.retention_days
    assert any("5 days" in s for s in start.left_out)


def test_next_label() -> None:
    assert editor.next_label("2026.1", TODAY) == "2026.2"
    assert editor.next_label("spring", TODAY) == "2026-12-01"
