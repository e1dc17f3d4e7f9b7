"""NPAT one-to-one guidance: every encoded rule, with passing and failing cases."""

from __future__ import annotations

import pytest

from chaperone.rules import load_template
from tests.rules.helpers import BASE, blocking, codes, run

P = "npat-one-to-one"
ONE = BASE[P]
GROUP = {
    "at": "2026-11-24T10:00:00+00:00",
    "kind": "group",
    "purpose": "teaching",
    "platform": "teams",
    "staff": [{"role": "teacher"}],
    "pupils": [{"age": 9}, {"age": 9}],
}


def test_baseline_allowed_with_checklist():
    d = run(P, ONE)
    assert d.outcome == "allowed"
    info = codes(d, "info")
    assert {"RECORDING_RETENTION", "SESSION_LOG", "END_AND_REPORT", "GUIDANCE_SIGNED"} <= info
    assert {"SECOND_ADULT_ADVISED", "LINE_MANAGER_REVIEW", "ONE_TO_ONE_LAST_RESORT"} <= info


def test_retention_is_twenty_days():
    assert load_template(P).retention_days == 20


@pytest.mark.parametrize(
    ("change", "code", "outcome"),
    [
        ({"risk_assessed": False}, "RISK_ASSESSMENT_REQUIRED", "pending"),
        ({"slt_approved": False}, "SLT_APPROVAL_REQUIRED", "pending"),
        ({"on_dsl_timetable": False}, "NOT_ON_DSL_TIMETABLE", "pending"),
        ({"dsl_invited": False}, "DSL_MUST_BE_INVITED", "pending"),
        ({"linked_to_plan": False}, "OUTCOME_NOT_LINKED", "pending"),
        ({"recording": False}, "RECORDING_REQUIRED", "refused"),
        ({"device": "personal"}, "PERSONAL_DEVICE", "refused"),
        ({"account": "personal"}, "PERSONAL_ACCOUNT", "refused"),
        ({"platform": "other"}, "PLATFORM_NOT_APPROVED", "refused"),
        ({"platform": "phone"}, "PLATFORM_NOT_APPROVED", "refused"),
        ({"staff_location": "off_site"}, "STAFF_OFF_SITE", "refused"),
    ],
)
def test_each_one_to_one_rule_fails_alone(change, code, outcome):
    d = run(P, ONE, **change)
    assert d.outcome == outcome
    assert blocking(d) == {code}
    finding = next(f for f in d.findings if f.code == code)
    assert finding.remedy and finding.rule_id


def test_teaching_one_to_ones_refused_and_name_the_missing_second_adult():
    alone = run(P, ONE, purpose="teaching")
    assert alone.outcome == "refused"
    assert blocking(alone) == {"PURPOSE_NOT_PERMITTED", "SECOND_ADULT_REQUIRED"}
    assert "SECOND_ADULT_ADVISED" not in codes(alone)
    # A second adult answers the local authority's rule, not NPAT's: still not a one-to-one use.
    with_parent = run(P, ONE, purpose="teaching", parent_present=True)
    assert blocking(with_parent) == {"PURPOSE_NOT_PERMITTED"}


@pytest.mark.parametrize("purpose", ["academic_tuition", "music_tuition"])
def test_tuition_one_to_ones_need_a_second_adult(purpose):
    """The local authority's example of a session needing no confidentiality is tuition: it runs
    with a second adult (a colleague or a parent in the room) and every other NPAT step."""
    alone = run(P, ONE, purpose=purpose)
    assert alone.outcome == "refused"
    assert blocking(alone) == {"SECOND_ADULT_REQUIRED"}
    assert run(P, ONE, purpose=purpose, parent_present=True).outcome == "allowed"
    assert run(P, ONE, purpose=purpose, second_staff_invited=True).outcome == "allowed"


@pytest.mark.parametrize("purpose", ["pastoral", "welfare_check", "counselling", "sen_support"])
def test_pastoral_and_send_purposes_permitted(purpose):
    assert run(P, ONE, purpose=purpose).outcome == "allowed"


@pytest.mark.parametrize("platform", ["teams", "zoom", "meet"])
def test_approved_platforms(platform):
    assert run(P, ONE, platform=platform).outcome == "allowed"


def test_off_site_allowed_in_an_emergency():
    assert run(P, ONE, staff_location="off_site", emergency=True).outcome == "allowed"


def test_every_missing_step_reported_together():
    d = run(
        P,
        ONE,
        risk_assessed=False,
        slt_approved=False,
        on_dsl_timetable=False,
        dsl_invited=False,
        linked_to_plan=False,
        recording=False,
    )
    assert d.outcome == "refused"
    assert [f.effect for f in d.findings] == sorted(
        (f.effect for f in d.findings), key=["refuse", "pending", "info"].index
    )
    assert blocking(d) == {
        "RECORDING_REQUIRED",
        "RISK_ASSESSMENT_REQUIRED",
        "SLT_APPROVAL_REQUIRED",
        "NOT_ON_DSL_TIMETABLE",
        "DSL_MUST_BE_INVITED",
        "OUTCOME_NOT_LINKED",
    }


def test_second_adult_is_advice_only():
    alone = run(P, ONE)
    assert "SECOND_ADULT_ADVISED" in codes(alone, "info")
    with_parent = run(P, ONE, parent_present=True)
    assert "SECOND_ADULT_ADVISED" not in codes(with_parent)
    assert "PUPIL_TOLD_OF_ADULT" in codes(with_parent, "info")


def test_phone_calls_follow_one_to_one_rules():
    d = run(P, {**ONE, "kind": "phone_call"}, recording=False)
    assert "RECORDING_REQUIRED" in codes(d)


def test_group_sessions_only_need_school_kit():
    assert run(P, GROUP).outcome == "allowed"
    assert blocking(run(P, GROUP, device="personal")) == {"PERSONAL_DEVICE"}
    assert blocking(run(P, GROUP, platform="other")) == {"PLATFORM_NOT_APPROVED"}


def test_no_rules_borrowed_from_other_seeds():
    d = run(
        P,
        ONE,
        parents_informed=False,
        waiting_room=False,
        pupil_location="bedroom",
        at="2026-11-24T21:00:00+00:00",
    )
    assert d.outcome == "allowed"
