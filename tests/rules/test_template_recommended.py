"""Chaperone's recommended template: strongest rules combined, every rule with a reason."""

from __future__ import annotations

import pytest

from chaperone.rules import load_template
from tests.rules.helpers import BASE, RECOMMENDED_ONE_TO_ONE, blocking, codes, run

P = "chaperone-recommended"
GROUP = BASE[P]
ONE = RECOMMENDED_ONE_TO_ONE


def test_every_rule_says_why():
    assert all(rule.why for rule in load_template(P).rules)


def test_baselines_allowed():
    assert run(P, GROUP).outcome == "allowed"
    assert run(P, ONE).outcome == "allowed"


@pytest.mark.parametrize(
    ("request_", "change", "code", "outcome"),
    [
        (GROUP, {"platform": "other"}, "PLATFORM_NOT_APPROVED", "refused"),
        (GROUP, {"account": "personal"}, "PERSONAL_ACCOUNT", "refused"),
        (GROUP, {"device": "personal"}, "PERSONAL_DEVICE", "refused"),
        (GROUP, {"waiting_room": False}, "WAITING_ROOM_REQUIRED", "refused"),
        (GROUP, {"parents_informed": False}, "PARENTS_NOT_INFORMED", "pending"),
        (GROUP, {"recording": True}, "RECORDING_NOT_PERMITTED", "refused"),
        (GROUP, {"pupils": [{"age": 8}, {"age": 9}]}, "CHAPERONE_REQUIRED", "refused"),
        (GROUP, {"pupil_location": "bedroom"}, "BEDROOM_LOCATION", "refused"),
        (GROUP, {"pupil_location": "bedroom_door_open"}, "BEDROOM_LOCATION", "refused"),
        (ONE, {"purpose": "academic_tuition"}, "PURPOSE_NOT_PERMITTED", "refused"),
        (ONE, {"recording": False}, "RECORDING_REQUIRED", "refused"),
        (ONE, {"risk_assessed": False}, "RISK_ASSESSMENT_REQUIRED", "pending"),
        (ONE, {"slt_approved": False}, "SLT_APPROVAL_REQUIRED", "pending"),
        (ONE, {"on_dsl_timetable": False}, "NOT_ON_DSL_TIMETABLE", "pending"),
        (ONE, {"dsl_invited": False}, "DSL_MUST_BE_INVITED", "pending"),
        (ONE, {"linked_to_plan": False}, "OUTCOME_NOT_LINKED", "pending"),
        (ONE, {"staff_location": "off_site"}, "STAFF_OFF_SITE", "refused"),
        (ONE, {"chaperone_present": False}, "CHAPERONE_REQUIRED", "refused"),
        (ONE, {"second_staff_invited": False}, "SECOND_STAFF_REQUIRED", "pending"),
    ],
)
def test_each_rule_fails_alone(request_, change, code, outcome):
    d = run(P, request_, **change)
    assert d.outcome == outcome
    assert blocking(d) == {code}


def test_young_group_with_parent_allowed():
    assert run(P, GROUP, pupils=[{"age": 8}], parent_present=True).outcome == "allowed"


def test_out_of_hours_needs_consent_and_slt():
    d = run(P, GROUP, at="2026-11-24T18:00:00+00:00")
    assert blocking(d) == {
        "OUTSIDE_PERMITTED_HOURS",
        "PARENTAL_CONSENT_REQUIRED",
        "SLT_APPROVAL_REQUIRED",
    }
    ok = run(
        P, GROUP, at="2026-11-24T18:00:00+00:00", parental_consent="written", slt_approved=True
    )
    assert ok.outcome == "allowed"


def test_pastoral_one_to_one_outside_lunch_needs_consent():
    d = run(P, ONE, at="2026-11-24T15:00:00+00:00")
    assert blocking(d) == {"OUTSIDE_PERMITTED_HOURS", "PARENTAL_CONSENT_REQUIRED"}


def test_counselling_in_bedroom_with_door_open_allowed():
    d = run(
        P,
        ONE,
        purpose="counselling",
        staff=[{"role": "counsellor"}],
        second_staff_invited=False,
        chaperone_present=False,
        pupil_location="bedroom_door_open",
    )
    assert d.outcome == "allowed"


def test_too_young_alone():
    d = run(P, GROUP, pupils=[{"age": 11}], pupil_home_alone=True)
    assert "PUPIL_TOO_YOUNG_ALONE" in codes(d)


def test_a_step_is_listed_once_even_when_two_rules_ask_for_it():
    # Seen in review: a one-to-one at 19:00 listed SLT_APPROVAL_REQUIRED twice (out of hours, and
    # one-to-one), and written consent twice.
    d = run(P, ONE, at="2026-11-24T19:00:00+00:00", slt_approved=False)
    found = [f.code for f in d.findings]
    assert found.count("SLT_APPROVAL_REQUIRED") == 1
    assert found.count("PARENTAL_CONSENT_REQUIRED") == 1
    assert found.count("OUTSIDE_PERMITTED_HOURS") == 1


WELFARE_CALL = {
    **GROUP,
    "kind": "phone_call",
    "purpose": "welfare_check",
    "platform": "phone",
    "pupils": [{"age": 9}],
    "parent_present": True,
}


def test_a_welfare_phone_call_is_covered():
    # Seed 001: school phones, the parent on loudspeaker when the child speaks, a log.
    d = run(P, WELFARE_CALL)
    assert d.outcome == "allowed", d.to_dict()
    assert {"WELFARE_CALL_LOG", "FAMILY_NOT_REACHED"} <= codes(d)
    assert "CAMERAS_ON" not in codes(d)  # no dress code or camera reminders on a phone call
    assert blocking(run(P, WELFARE_CALL, device="personal")) == {"PERSONAL_DEVICE"}
    assert blocking(run(P, WELFARE_CALL, parent_present=False)) == {"CHAPERONE_REQUIRED"}


def test_the_phone_is_for_welfare_calls_only():
    d = run(P, GROUP, platform="phone")
    assert d.outcome == "refused"
    assert "PLATFORM_NOT_APPROVED" in blocking(d)
    assert "PURPOSE_NOT_PERMITTED" in blocking(run(P, WELFARE_CALL, purpose="pastoral"))
