"""Readings of the seeds checked again (issue #8.5), rule sets and placeholders (#8.3)."""

from __future__ import annotations

import pytest

from chaperone.rules import (
    Contacts,
    ProtocolError,
    build_document,
    fragment_ids,
    load_protocol_text,
    load_template,
    render_text,
)
from tests.rules.helpers import BASE, blocking, codes, run

NPAT = "npat-one-to-one"
N_ONE = BASE[NPAT]
PHONE_WELFARE = {
    **N_ONE,
    "kind": "phone_call",
    "purpose": "welfare_check",
    "platform": "phone",
    "parent_present": True,
}


def test_npat_asks_slt_approval_only_without_a_second_adult():
    # Seed 004: the local authority's conditions (SLT approval among them) are for a one-to-one
    # where its preferred second adult cannot be there.
    assert "SLT_APPROVAL_REQUIRED" in blocking(run(NPAT, N_ONE, slt_approved=False))
    with_parent = run(NPAT, N_ONE, slt_approved=False, parent_present=True)
    assert "SLT_APPROVAL_REQUIRED" not in codes(with_parent)
    assert with_parent.outcome == "allowed"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"risk_assessed": False}, "RISK_ASSESSMENT_REQUIRED"),
        ({"recording": False}, "RECORDING_REQUIRED"),
        ({"dsl_invited": False}, "DSL_MUST_BE_INVITED"),
        ({"on_dsl_timetable": False}, "NOT_ON_DSL_TIMETABLE"),
        ({"platform": "other"}, "PLATFORM_NOT_APPROVED"),
        ({"device": "personal"}, "PERSONAL_DEVICE"),
    ],
)
def test_npat_own_additions_still_apply_with_a_parent_present(change, code):
    assert code in blocking(run(NPAT, N_ONE, parent_present=True, slt_approved=False, **change))


@pytest.mark.parametrize("tid", ["npat-one-to-one", "werrington-primary", "habs-monmouth"])
def test_a_video_only_protocol_refuses_a_phone_welfare_call_in_helpful_words(tid):
    d = run(tid, {**BASE[tid], **PHONE_WELFARE, "pupils": [{"age": 9}]})
    assert d.outcome == "refused"
    [finding] = [f for f in d.findings if f.code == "PLATFORM_NOT_APPROVED"]
    assert finding.rule_id == "phone-outside-protocol"
    assert "outside this protocol" in finding.rule
    assert "welfare-call rules" in (finding.remedy or "")
    assert not any(word in (finding.remedy or "") for word in ("Hold the session on Microsoft",))


@pytest.mark.parametrize("tid", ["werrington-primary", "habs-monmouth", "chaperone-recommended"])
def test_no_camera_or_dress_reminder_on_a_phone_call(tid):
    d = run(tid, {**BASE[tid], **PHONE_WELFARE, "pupils": [{"age": 9}]})
    labels = " ".join(f.label or "" for f in d.findings if f.effect == "info").lower()
    assert "dressed" not in labels and "camera" not in labels and "background" not in labels


def _with_welfare_calls(text: str) -> str:
    return text.replace('platforms = ["teams", "zoom", "meet"]\n', (
        'platforms = ["teams", "zoom", "meet"]\ninclude = ["welfare-calls"]\n'), 1)  # fmt: skip


def test_any_protocol_can_include_the_welfare_call_rules():
    from importlib import resources

    assert "welfare-calls" in fragment_ids()
    source = resources.files("chaperone.rules.templates").joinpath(f"{NPAT}.toml").read_text()
    p = load_protocol_text(_with_welfare_calls(source))
    assert "phone" in p.platforms
    from chaperone.rules import decide, parse_request

    d = decide(p, parse_request(PHONE_WELFARE))
    assert "PLATFORM_NOT_APPROVED" not in codes(d)
    assert "WELFARE_CALL_LOG" in codes(d)
    still = decide(p, parse_request({**PHONE_WELFARE, "purpose": "pastoral"}))
    assert "PURPOSE_NOT_PERMITTED" in blocking(still)


def test_school_additions_cannot_include_rule_sets():
    text = (
        'extends = "npat-one-to-one"\nid = "s"\ntitle = "S"\nversion = "1"\n'
        'effective = 2026-01-01\nreview = 2027-01-01\nowner = { kind = "school", name = "S" }\n'
        'include = ["welfare-calls"]\n'
    )
    with pytest.raises(ProtocolError, match="include"):
        load_protocol_text(text)


_MINIMAL = """
id = "p"
title = "P"
version = "1"
effective = 2026-01-01
review = 2027-01-01
platforms = ["teams", "zoom"]
retention_days = 30
owner = { kind = "trust", name = "T" }
[windows.school_day]
start = "08:30"
end = "17:30"
days = ["mon", "tue", "wed", "thu", "fri"]
[[rules]]
id = "r"
code = "RECORDING_REQUIRED"
effect = "refuse"
require = { recording = true }
text = "TEXT"
remedy = "Record it."
"""


def _protocol(text: str):
    return load_protocol_text(_MINIMAL.replace("TEXT", text))


def test_placeholders_are_filled_from_the_protocol():
    p = _protocol("Kept {retention_days} days; on {platforms}; in {window:school_day} by {owner}.")
    expected = "Kept 30 days; on Microsoft Teams or Zoom; in 08:30-17:30, Monday to Friday by T."
    assert p.compiled.findings[0].rule == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{retention}", "unknown placeholder {retention}"),
        ("{window:evening}", "unknown window 'evening'"),
        ("{window}", "needs a window name"),
        ("{platforms:x}", "unknown placeholder {platforms:x}"),
    ],
)
def test_an_unknown_placeholder_is_a_named_problem(text, problem):
    with pytest.raises(ProtocolError) as exc:
        _protocol(text)
    assert any(p.startswith("rule 'r': text: ") and problem in p for p in exc.value.problems)


def test_a_tightened_retention_changes_every_mention_in_the_document():
    # Review defect 9: "kept for 30 days" beside "kept for 20 days" after a valid tightening.
    overlay = (
        'extends = "npat-one-to-one"\nid = "s"\ntitle = "S"\nversion = "1"\nretention_days = 30\n'
        'effective = 2026-01-01\nreview = 2027-01-01\nowner = { kind = "school", name = "S" }\n'
    )
    p = load_protocol_text(overlay)
    for audience in ("staff", "parent"):
        text = render_text(build_document(p, audience))
        assert "20 days" not in text
        assert "30 days" in text


def test_documents_keep_codes_in_an_appendix_and_name_contacts():
    p = load_template(NPAT)
    staff = build_document(p, "staff")
    assert all(
        item.code is None or item.code in p.all_codes() for s in staff.sections for item in s.items
    )
    assert "Finding codes" not in [s.heading for s in staff.sections]
    assert {item.code for item in staff.appendix} == set(p.all_codes())
    assert "RECORDING_REQUIRED" not in " ".join(i.text for s in staff.sections for i in s.items)
    parent = build_document(
        p, "parent", contacts=Contacts("Priya Shah", "01632 960123", "office@school.example")
    )
    assert parent.appendix == () and not parent.staff_only
    assert parent.platforms == ("Microsoft Teams", "Zoom", "Google Meet")
    text = render_text(parent)
    assert "Priya Shah (01632 960123)" in text and "office@school.example" in text
    assert "Microsoft Teams" in text


def test_staff_items_name_their_rule():
    p = load_template("chaperone-recommended")
    items = [i for s in build_document(p, "staff").sections for i in s.items if i.rule_id]
    assert [i.rule_id for i in items] == [
        r.id for e in ("refuse", "pending", "info") for r in p.rules if r.effect == e
    ]
    assert all(i.text == p.render(p.rule(i.rule_id).text) for i in items)
