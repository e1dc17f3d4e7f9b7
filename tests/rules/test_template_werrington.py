"""Werrington Primary: every encoded rule, with a passing and a failing case."""

from __future__ import annotations

import pytest

from tests.rules.helpers import BASE, blocking, codes, run

P = "werrington-primary"
GROUP = BASE[P]
ONE = {**GROUP, "kind": "one_to_one", "pupils": [{"age": 6}]}


def test_baseline_group_allowed_with_checklist():
    d = run(P, GROUP)
    assert d.outcome == "allowed"
    assert blocking(d) == set()
    info = codes(d, "info")
    assert {"DRESS_CODE", "NO_SCREENSHOTS", "BREACH_PROCEDURE", "CONSENT_IMPLIED"} <= info
    assert all(f.label for f in d.findings)


def test_consent_none_never_blocks_but_written_drops_reminder():
    assert run(P, GROUP, parental_consent="none").outcome == "allowed"
    assert "CONSENT_IMPLIED" not in codes(run(P, GROUP, parental_consent="written"))


@pytest.mark.parametrize("platform", ["teams", "zoom"])
def test_zoom_and_teams_approved(platform):
    assert "PLATFORM_NOT_APPROVED" not in codes(run(P, GROUP, platform=platform))


@pytest.mark.parametrize("platform", ["meet", "phone", "other"])
def test_other_platforms_refused(platform):
    d = run(P, GROUP, platform=platform)
    assert d.outcome == "refused"
    assert "PLATFORM_NOT_APPROVED" in codes(d)


def test_waiting_room_required():
    d = run(P, GROUP, waiting_room=False)
    assert d.outcome == "refused"
    assert blocking(d) == {"WAITING_ROOM_REQUIRED"}


def test_group_needs_parent_in_room():
    d = run(P, GROUP, parent_present=False)
    assert d.outcome == "refused"
    assert "CHAPERONE_REQUIRED" in codes(d)
    # Another adult elsewhere in the house is not a parent in the room.
    assert run(P, GROUP, parent_present=False, chaperone_present=True).outcome == "refused"


def test_group_never_recorded():
    d = run(P, GROUP, recording=True)
    assert d.outcome == "refused"
    assert blocking(d) == {"RECORDING_NOT_PERMITTED"}


def test_one_to_one_with_parent_allowed_without_recording():
    d = run(P, ONE)
    assert d.outcome == "allowed"
    assert not {"DSL_MUST_BE_NOTIFIED", "RECORDING_REQUIRED"} & codes(d)


def test_one_to_one_without_parent_or_recording_refused_with_both_codes():
    d = run(P, ONE, parent_present=False)
    assert d.outcome == "refused"
    assert {"SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"} <= codes(d)


def test_one_to_one_without_parent_recorded_is_allowed_and_dsl_told():
    d = run(P, ONE, parent_present=False, recording=True)
    assert d.outcome == "allowed"
    assert {"DSL_MUST_BE_NOTIFIED", "RECORDING_EXPLAINED", "RECORDING_STORAGE"} <= codes(d, "info")


def test_one_to_one_with_nobody_at_home_refused_even_when_recorded():
    alone = {**ONE, "parent_present": False, "recording": True}
    d = run(P, alone, pupil_home_alone=True)
    assert d.outcome == "refused"
    assert blocking(d) == {"CHAPERONE_REQUIRED"}
    assert run(P, alone, pupil_home_alone=False).outcome == "allowed"


def test_second_staff_counts_as_second_adult():
    d = run(P, ONE, parent_present=False, second_staff_invited=True)
    assert blocking(d) == set()
    two_staff = run(P, ONE, parent_present=False, staff=[{"role": "teacher"}, {"role": "tutor"}])
    assert blocking(two_staff) == set()


def test_phone_call_treated_as_one_to_one():
    d = run(P, {**ONE, "kind": "phone_call", "platform": "teams"}, parent_present=False)
    assert {"SECOND_ADULT_REQUIRED", "RECORDING_REQUIRED"} <= codes(d)


@pytest.mark.parametrize("where", ["bedroom", "bedroom_door_open"])
def test_bedrooms_refused(where):
    d = run(P, GROUP, pupil_location=where)
    assert d.outcome == "refused"
    assert blocking(d) == {"BEDROOM_LOCATION"}


def test_common_room_allowed():
    assert "BEDROOM_LOCATION" not in codes(run(P, GROUP, pupil_location="common_room"))


def test_no_rules_borrowed_from_other_seeds():
    d = run(
        P,
        GROUP,
        account="personal",
        device="personal",
        staff_location="off_site",
        parents_informed=False,
        at="2026-11-24T21:00:00+00:00",
    )
    assert d.outcome == "allowed"
    foreign = {
        "PERSONAL_ACCOUNT",
        "PERSONAL_DEVICE",
        "STAFF_OFF_SITE",
        "PARENTS_NOT_INFORMED",
        "OUTSIDE_PERMITTED_HOURS",
        "PARENTAL_CONSENT_REQUIRED",
    }
    assert not foreign & codes(d)


def test_parent_conduct_only_in_groups():
    assert "PARENT_CONDUCT" in codes(run(P, GROUP))
    assert "PARENT_CONDUCT" not in codes(run(P, ONE))
