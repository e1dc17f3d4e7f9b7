"""School overlays tighten a trust protocol and are rejected when they would loosen it."""

from __future__ import annotations

from importlib import resources

import pytest

from chaperone.rules import (
    ProtocolError,
    apply_overlay,
    decide,
    diff_protocols,
    load_overlay_text,
    load_protocol_file,
    load_protocol_text,
    load_template,
    parse_request,
)
from tests.rules.helpers import BASE, HABS_PASTORAL

HEAD = """
extends = "{base}"
id = "st-anne"
title = "St Anne's additions"
version = "1"
effective = 2026-09-01
review = 2027-09-01
owner = {{ kind = "school", name = "St Anne's" }}
"""


def overlay(body: str, base: str = "npat-one-to-one") -> str:
    return HEAD.format(base=base) + body


def apply(body: str, base: str = "npat-one-to-one"):
    return apply_overlay(load_template(base), load_overlay_text(overlay(body, base)))


def problems(body: str, base: str = "npat-one-to-one") -> str:
    with pytest.raises(ProtocolError) as exc:
        apply(body, base)
    return "\n".join(exc.value.problems)


def test_overlay_adds_a_rule_and_keeps_the_base():
    body = """
[[rules]]
id = "no-evenings"
code = "OUTSIDE_PERMITTED_HOURS"
effect = "refuse"
unless = { within_window = ["day"] }
text = "One-to-ones happen in the school day."
remedy = "Move the call into the school day."

[windows.day]
start = "09:00"
end = "15:00"
days = ["mon", "tue", "wed", "thu", "fri"]
"""
    p = apply(body)
    base = load_template("npat-one-to-one")
    assert p.id == "st-anne" and p.owner.kind == "school"
    assert p.based_on is not None and p.based_on.id == base.id
    assert len(p.rules) == len(base.rules) + 1
    late = parse_request({**BASE["npat-one-to-one"], "at": "2026-11-24T16:00:00+00:00"})
    assert decide(base, late).outcome == "allowed"
    assert decide(p, late).outcome == "refused"


def test_deny_platform_and_raise_effect():
    p = apply('deny_platforms = ["zoom"]\n[raise_effect]\nclear-outcome = "refuse"\n')
    assert p.platforms == ["teams", "meet"]
    assert p.rule("clear-outcome").effect == "refuse"
    request = parse_request({**BASE["npat-one-to-one"], "platform": "zoom"})
    assert decide(p, request).outcome == "refused"


def test_platform_subset_allowed_superset_rejected():
    assert apply('platforms = ["teams"]\n').platforms == ["teams"]
    assert "platforms: adding 'phone'" in problems('platforms = ["teams", "phone"]\n')


def test_raising_info_needs_a_remedy():
    assert "remedy" in problems('[raise_effect]\nsession-log = "pending"\n')
    p = apply(
        '[raise_effect]\nsession-log = { effect = "pending", remedy = "Open the log first." }\n'
    )
    assert p.rule("session-log").effect == "pending"
    assert p.rule("session-log").remedy == "Open the log first."


def test_lowering_an_effect_rejected_naming_the_rule():
    msg = problems('[raise_effect]\nrecorded = "pending"\n')
    assert "rule 'recorded': effect: lowering refuse to pending" in msg


def test_removing_or_redefining_a_rule_rejected():
    assert "rule 'recorded': removing a base rule" in problems('remove_rules = ["recorded"]\n')
    redefine = """
[[rules]]
id = "recorded"
code = "RECORDING_REQUIRED"
effect = "refuse"
when = { kind = ["group"] }
require = { recording = true }
text = "Only groups are recorded."
remedy = "Record it."
"""
    assert "rule 'recorded': already defined by 'npat-one-to-one'" in problems(redefine)


def test_unknown_rule_in_raise_effect():
    assert "no rule 'nope'" in problems('[raise_effect]\nnope = "refuse"\n')


def test_widening_a_window_rejected_narrowing_accepted():
    wide = """
[windows.lunchtime]
start = "12:00"
end = "13:30"
days = ["mon", "tue", "wed", "thu", "fri"]
"""
    assert "window 'lunchtime': widening it (opens at 12:00, before 12:30)" in problems(
        wide, "habs-monmouth"
    )
    weekend = wide.replace('"12:00"', '"12:30"').replace('"fri"]', '"fri", "sat"]')
    assert "adds sat" in problems(weekend, "habs-monmouth")
    narrow = wide.replace('"12:00"', '"12:45"')
    p = apply(narrow, "habs-monmouth")
    assert p.windows["lunchtime"].start == "12:45"
    # 12:35-13:05 was in lunchtime; now it needs consent.
    request = parse_request({**HABS_PASTORAL, "at": "2026-11-24T12:35:00+00:00"})
    assert decide(load_template("habs-monmouth"), request).outcome == "allowed"
    assert decide(p, request).outcome == "pending"


def test_narrowing_a_window_used_in_when_is_loosening():
    base = load_protocol_text(
        """
id = "trust"
title = "Trust"
version = "1"
effective = 2026-09-01
review = 2027-09-01
platforms = ["teams"]
owner = { kind = "trust", name = "Trust" }

[windows.evening]
start = "17:00"
end = "21:00"
days = ["mon"]

[[rules]]
id = "evening-dsl"
code = "DSL_MUST_BE_INVITED"
effect = "pending"
when = { within_window = ["evening"] }
require = { dsl_invited = true }
text = "Evening calls invite the DSL."
remedy = "Invite the DSL."
"""
    )
    text = overlay('[windows.evening]\nstart = "18:00"\nend = "21:00"\ndays = ["mon"]\n', "trust")
    with pytest.raises(ProtocolError) as exc:
        apply_overlay(base, load_overlay_text(text))
    assert "rule 'evening-dsl': narrowing window 'evening'" in str(exc.value)


def test_shortening_retention_rejected():
    assert "retention_days: 10 is shorter" in problems("retention_days = 10\n")
    assert apply("retention_days = 30\n").retention_days == 30


def test_overlay_for_another_base_rejected():
    with pytest.raises(ProtocolError) as exc:
        apply_overlay(load_template("habs-monmouth"), load_overlay_text(overlay("")))
    assert "extends" in str(exc.value)


def test_load_text_resolves_extends_and_sibling_files(tmp_path):
    p = load_protocol_text(overlay('deny_platforms = ["meet"]\n'))
    assert p.based_on is not None and p.based_on.id == "npat-one-to-one"
    template = resources.files("chaperone.rules.templates") / "werrington-primary.toml"
    trust = tmp_path / "my-trust.toml"
    trust.write_text(template.read_text().replace('id = "werrington-primary"', 'id = "my-trust"'))
    school = tmp_path / "school.toml"
    school.write_text(overlay('deny_platforms = ["zoom"]\n', "my-trust"))
    p = load_protocol_file(school)
    assert p.platforms == ["teams"]
    assert p.based_on is not None and p.based_on.id == "my-trust"


def test_diff_of_overlay_against_base():
    base = load_template("npat-one-to-one")
    body = (
        'deny_platforms = ["zoom"]\n[raise_effect]\nclear-outcome = "refuse"\n'
        + """
[[rules]]
id = "extra"
code = "WAITING_ROOM_REQUIRED"
effect = "refuse"
require = { waiting_room = true }
text = "Use a lobby."
remedy = "Turn the lobby on."
"""
    )
    d = diff_protocols(base, apply(body))
    assert d.platforms_removed == ["zoom"]
    assert d.rules_added == ["extra"]
    assert [c.field for c in d.rules_changed["clear-outcome"]] == ["effect"]
    assert {c.field for c in d.metadata} >= {"id", "title", "owner", "version", "based_on"}
    text = d.to_text()
    assert "- platform zoom" in text and "+ rule extra" in text
    assert "effect: pending -> refuse" in text
    data = d.to_dict()
    assert data["rules"]["added"] == ["extra"]


def test_diff_between_templates_and_itself():
    a, b = load_template("habs-monmouth"), load_template("werrington-primary")
    d = diff_protocols(a, b)
    assert "teams-only" in d.rules_removed and "waiting-room" in d.rules_added
    assert "dress" in d.rules_changed
    assert "lunchtime" in d.windows_removed
    assert diff_protocols(a, a).empty
