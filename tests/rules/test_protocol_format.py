"""Loading and validating protocol files; the JSON Schema."""

from __future__ import annotations

import json

import pytest

from chaperone.rules import (
    ProtocolError,
    json_schema,
    load_protocol_file,
    load_protocol_text,
    load_template,
    resolve_protocol,
    template_ids,
)

HEADER = """
id = "test-school"
title = "Test school"
version = "1"
effective = 2026-09-01
review = 2027-09-01
platforms = ["teams"]
owner = { kind = "school", name = "Test School" }

[windows.lunch]
start = "12:00"
end = "13:00"
days = ["mon", "tue", "wed", "thu", "fri"]
"""

GOOD_RULE = """
[[rules]]
id = "teams-only"
code = "PLATFORM_NOT_APPROVED"
effect = "refuse"
require = { platform_approved = true }
text = "Teams only."
remedy = "Use Teams."
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        load_protocol_text(text)
    return exc.value.problems


def test_shipped_templates():
    assert set(template_ids()) == {
        "werrington-primary",
        "habs-monmouth",
        "npat-one-to-one",
        "chaperone-recommended",
    }
    for tid in template_ids():
        p = load_template(tid)
        assert p.id == tid
        assert p.time_zone == "Europe/London"
        assert all(r.remedy for r in p.rules if r.effect != "info")
        assert all(r.label for r in p.rules if r.effect == "info")


def test_minimal_protocol_loads_with_defaults():
    p = load_protocol_text(HEADER + GOOD_RULE)
    assert p.time_zone == "Europe/London"
    assert p.retention_days is None
    assert p.rule("teams-only").code == "PLATFORM_NOT_APPROVED"


def test_every_problem_reported_with_rule_id_and_field():
    text = (
        HEADER
        + """
[[rules]]
id = "bad-one"
code = "MADE_UP"
effect = "refuse"
when = { kind = ["group"], phase_of_moon = "full" }
text = "x"

[[rules]]
id = "bad-two"
code = "OUTSIDE_PERMITTED_HOURS"
effect = "pending"
unless = { within_window = ["dinner"] }
text = "y"
remedy = "z"

[[rules]]
id = "bad-three"
code = "PLATFORM_NOT_APPROVED"
effect = "info"
text = "no label"
"""
    )
    problems = problems_of(text)
    joined = "\n".join(problems)
    assert "rule 'bad-one': when.phase_of_moon: unknown condition 'phase_of_moon'" in joined
    # Structural errors stop semantic checks; fix them and the rest appear.
    problems = problems_of(text.replace(', phase_of_moon = "full"', ""))
    joined = "\n".join(problems)
    assert "rule 'bad-one': code: unknown code 'MADE_UP'" in joined
    assert "rule 'bad-one': remedy:" in joined
    assert "rule 'bad-two': unless.within_window: unknown window 'dinner'" in joined
    assert "rule 'bad-three': label:" in joined


def test_wrong_value_types_name_rule_and_field():
    joined = "\n".join(
        problems_of(HEADER + GOOD_RULE.replace('effect = "refuse"', 'effect = "ban"'))
    )
    assert "rule 'teams-only': effect" in joined
    joined = "\n".join(
        problems_of(HEADER + GOOD_RULE.replace("platform_approved = true", 'kind = ["party"]'))
    )
    assert "rule 'teams-only': require.kind" in joined


def test_duplicate_rule_ids_and_bad_windows():
    text = HEADER.replace('end = "13:00"', 'end = "11:00"') + GOOD_RULE + GOOD_RULE
    joined = "\n".join(problems_of(text))
    assert "rule 'teams-only': id: duplicate rule id" in joined
    assert "window 'lunch': end 11:00 is not after start 12:00" in joined


def test_unknown_top_level_key_and_missing_fields():
    joined = "\n".join(problems_of(HEADER + GOOD_RULE + "\npython = 'import os'\n"))
    assert "unknown field 'python'" in joined
    joined = "\n".join(problems_of(GOOD_RULE))
    assert "title: required but missing" in joined


def test_declared_template_codes_are_accepted():
    text = (
        HEADER
        + '[codes]\nTEA_BREAK = "Checklist: have a cup of tea."\n'
        + """
[[rules]]
id = "tea"
code = "TEA_BREAK"
effect = "info"
label = "Tea"
text = "Have tea."
"""
    )
    assert load_protocol_text(text).all_codes() == {"TEA_BREAK": "Checklist: have a cup of tea."}


def test_invalid_toml_and_time_zone():
    assert "not valid TOML" in problems_of("id = ")[0]
    joined = "\n".join(problems_of('time_zone = "Mars/Olympus"\n' + HEADER + GOOD_RULE))
    assert "time_zone: unknown time zone" in joined


def test_resolve_by_path_and_unknown(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(HEADER + GOOD_RULE)
    assert resolve_protocol(str(path)).id == "test-school"
    assert load_protocol_file(path).id == "test-school"
    with pytest.raises(ProtocolError) as exc:
        resolve_protocol("no-such-protocol")
    assert exc.value.code == "unknown_protocol"


def test_json_schema_describes_conditions():
    schema = json_schema()
    text = json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "within_window" in text and "second_adult" in text
    conditions = schema["$defs"]["Conditions"]
    assert conditions["additionalProperties"] is False
    assert json_schema("request")["additionalProperties"] is False
    assert "extends" in json_schema("overlay")["properties"]


def test_protocols_survive_pickling_for_caches():
    import pickle

    from chaperone.rules import decide, parse_request
    from tests.rules.helpers import BASE

    original = load_template("habs-monmouth")
    copy = pickle.loads(pickle.dumps(original))
    assert copy == original
    request = parse_request({**BASE["habs-monmouth"], "account": "personal"})
    assert decide(copy, request).to_json() == decide(original, request).to_json()
