"""Habs Monmouth: every encoded rule, with passing and failing cases (hours in GMT and BST)."""

from __future__ import annotations

import pytest

from tests.rules.helpers import BASE, HABS_PASTORAL, blocking, codes, run

P = "habs-monmouth"
TUITION = BASE[P]
PASTORAL = HABS_PASTORAL


def test_baselines_allowed():
    assert run(P, TUITION).outcome == "allowed"
    assert run(P, PASTORAL).outcome == "allowed"


def test_parents_must_be_written_to():
    d = run(P, TUITION, parents_informed=False)
    assert d.outcome == "pending"
    assert blocking(d) == {"PARENTS_NOT_INFORMED"}


@pytest.mark.parametrize("purpose", ["teaching", "sen_support"])
def test_unlisted_purposes_refused(purpose):
    d = run(P, TUITION, purpose=purpose)
    assert d.outcome == "refused"
    assert "PURPOSE_NOT_PERMITTED" in codes(d)


def test_music_tuition_permitted_any_time():
    d = run(P, TUITION, purpose="music_tuition", at="2026-11-24T19:00:00+00:00")
    assert d.outcome == "allowed"


def test_counselling_only_by_counsellor():
    ok = run(P, TUITION, purpose="counselling", staff=[{"role": "counsellor"}])
    assert ok.outcome == "allowed"
    assert "COUNSELLING_CONFIDENTIAL" in codes(ok)
    bad = run(P, TUITION, purpose="counselling", staff=[{"role": "teacher"}])
    assert bad.outcome == "refused"
    assert "PURPOSE_NOT_PERMITTED" in codes(bad)


@pytest.mark.parametrize("purpose", ["pastoral", "welfare_check"])
def test_pastoral_contact_only_by_pastoral_staff(purpose):
    d = run(P, PASTORAL, purpose=purpose, staff=[{"role": "teacher"}])
    assert "PURPOSE_NOT_PERMITTED" in codes(d)
    assert run(P, PASTORAL, purpose=purpose).outcome == "allowed"


@pytest.mark.parametrize("platform", ["zoom", "meet", "phone", "other"])
def test_teams_only(platform):
    d = run(P, TUITION, platform=platform)
    assert d.outcome == "refused"
    assert "PLATFORM_NOT_APPROVED" in codes(d)


def test_school_account_only():
    d = run(P, TUITION, account="personal")
    assert d.outcome == "refused"
    assert blocking(d) == {"PERSONAL_ACCOUNT"}


def test_devices_and_staff_location_not_regulated():
    d = run(P, TUITION, device="personal", staff_location="off_site")
    assert d.outcome == "allowed"


# --- academic tuition hours: 08:30-17:30 local time ----------------------------------------


@pytest.mark.parametrize(
    ("at", "minutes"),
    [
        ("2026-11-24T08:30:00+00:00", 30),  # GMT: opens exactly at 08:30
        ("2026-11-24T17:00:00+00:00", 30),  # ends exactly at 17:30
        ("2026-06-16T07:30:00+00:00", 60),  # BST: 08:30-09:30 local
        ("2026-06-16T16:00:00+00:00", 30),  # BST: 17:00-17:30 local
        ("2026-11-28T10:00:00+00:00", 60),  # Saturday: tuition hours apply every day
    ],
)
def test_tuition_inside_hours(at, minutes):
    assert run(P, TUITION, at=at, duration_minutes=minutes).outcome == "allowed"


@pytest.mark.parametrize(
    ("at", "minutes"),
    [
        ("2026-11-24T08:00:00+00:00", 30),  # before opening
        ("2026-11-24T17:15:00+00:00", 30),  # starts inside, ends after 17:30
        ("2026-06-16T16:45:00+00:00", 30),  # BST: 17:45 local although 16:45 UTC
        ("2026-06-16T07:15:00+00:00", 30),  # BST: 08:15 local
        ("2026-11-24T23:50:00+00:00", 30),  # crosses midnight
    ],
)
def test_tuition_outside_hours_needs_consent_and_slt(at, minutes):
    d = run(P, TUITION, at=at, duration_minutes=minutes)
    assert d.outcome == "pending"
    assert blocking(d) == {
        "OUTSIDE_PERMITTED_HOURS",
        "PARENTAL_CONSENT_REQUIRED",
        "SLT_APPROVAL_REQUIRED",
    }


def test_tuition_outside_hours_with_consent_and_slt_allowed():
    d = run(
        P,
        TUITION,
        at="2026-11-24T19:00:00+00:00",
        parental_consent="written",
        slt_approved=True,
    )
    assert d.outcome == "allowed"
    assert "OUTSIDE_PERMITTED_HOURS" not in codes(d)


def test_tuition_outside_hours_implied_consent_is_not_enough():
    d = run(
        P, TUITION, at="2026-11-24T19:00:00+00:00", parental_consent="implied", slt_approved=True
    )
    assert blocking(d) == {"OUTSIDE_PERMITTED_HOURS", "PARENTAL_CONSENT_REQUIRED"}


def test_tuition_outside_hours_with_consent_only_needs_slt():
    d = run(P, TUITION, at="2026-11-24T19:00:00+00:00", parental_consent="written")
    assert blocking(d) == {"OUTSIDE_PERMITTED_HOURS", "SLT_APPROVAL_REQUIRED"}


def test_utc_time_in_hours_but_bst_local_time_out_of_hours():
    # 17:00 UTC in June is 18:00 in London; in November it is 17:00.
    assert run(P, TUITION, at="2026-11-24T17:00:00+00:00").outcome == "allowed"
    assert run(P, TUITION, at="2026-06-16T17:00:00+00:00").outcome == "pending"


def test_offsets_other_than_utc_are_converted():
    assert run(P, TUITION, at="2026-11-24T09:00:00-05:00").outcome == "allowed"  # 14:00 GMT
    assert run(P, TUITION, at="2026-11-24T15:00:00+09:00").outcome == "pending"  # 06:00 GMT


# --- pastoral one-to-ones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "minutes"),
    [
        ("2026-11-24T12:30:00+00:00", 60),  # the whole of lunchtime, GMT
        ("2026-06-16T11:30:00+00:00", 60),  # the whole of lunchtime, BST
        ("2026-11-24T08:30:00+00:00", 20),  # tutor time
        ("2026-06-16T07:35:00+00:00", 15),  # tutor time, BST (08:35-08:50)
        ("2026-03-30T11:40:00+00:00", 30),  # Monday after clocks go forward
        ("2026-10-26T12:40:00+00:00", 30),  # Monday after clocks go back
    ],
)
def test_pastoral_inside_windows(at, minutes):
    assert run(P, PASTORAL, at=at, duration_minutes=minutes).outcome == "allowed"


@pytest.mark.parametrize(
    ("at", "minutes"),
    [
        ("2026-11-24T13:10:00+00:00", 30),  # starts at lunch, runs past 13:30
        ("2026-11-24T12:20:00+00:00", 30),  # starts before lunch
        ("2026-06-16T12:40:00+00:00", 30),  # 13:40 BST: after lunch
        ("2026-11-24T08:40:00+00:00", 20),  # past the end of tutor time
        ("2026-11-28T12:40:00+00:00", 30),  # Saturday: no lunchtime window
        ("2026-11-24T19:00:00+00:00", 30),  # evening
        ("2026-03-30T12:40:00+00:00", 30),  # 13:40 BST on the first Monday of summer time
    ],
)
def test_pastoral_outside_windows_needs_written_consent(at, minutes):
    d = run(P, PASTORAL, at=at, duration_minutes=minutes)
    assert d.outcome == "pending"
    assert blocking(d) == {"OUTSIDE_PERMITTED_HOURS", "PARENTAL_CONSENT_REQUIRED"}
    with_consent = run(P, PASTORAL, at=at, duration_minutes=minutes, parental_consent="written")
    assert with_consent.outcome == "allowed"


def test_pastoral_hours_apply_only_to_one_to_ones():
    group = {**PASTORAL, "kind": "group", "pupils": [{"age": 14}, {"age": 15}]}
    d = run(P, group, at="2026-11-24T19:00:00+00:00")
    assert "OUTSIDE_PERMITTED_HOURS" not in codes(d)


@pytest.mark.parametrize(
    ("staff", "second", "ok"),
    [
        ("tutor", "head_of_year", True),
        ("tutor", "housemaster", True),
        ("tutor", "senior_deputy_head_pastoral", True),
        ("tutor", "teacher", False),
        ("tutor", None, False),
        ("head_of_year", "senior_deputy_head_pastoral", True),
        ("housemaster", "senior_deputy_head_pastoral", True),
        ("head_of_year", "tutor", False),
        ("housemaster", "head_of_year", False),
        ("head_of_year", None, False),
        ("senior_deputy_head_pastoral", "head_of_year", True),
        ("senior_deputy_head_pastoral", None, False),
    ],
)
def test_second_pastoral_staff_of_the_right_role(staff, second, ok):
    d = run(
        P,
        PASTORAL,
        staff=[{"role": staff}],
        second_staff_invited=second is not None,
        second_staff_role=second,
    )
    assert ("SECOND_STAFF_REQUIRED" not in codes(d)) is ok
    if not ok:
        assert d.outcome == "pending"


def test_second_staff_role_without_invitation_does_not_count():
    d = run(P, PASTORAL, second_staff_invited=False, second_staff_role="head_of_year")
    assert "SECOND_STAFF_REQUIRED" in codes(d)


def test_head_of_year_on_the_call_satisfies_tutor_rule_in_any_order():
    pair = [{"role": "tutor"}, {"role": "head_of_year"}]
    for staff in (pair, pair[::-1]):
        d = run(P, PASTORAL, staff=staff, second_staff_invited=False, second_staff_role=None)
        assert "SECOND_STAFF_REQUIRED" not in codes(d)


def test_pastoral_needs_an_adult_at_home():
    d = run(P, PASTORAL, chaperone_present=False)
    assert d.outcome == "refused"
    assert blocking(d) == {"CHAPERONE_REQUIRED"}
    assert run(P, PASTORAL, chaperone_present=False, parent_present=True).outcome == "allowed"


def test_counselling_needs_no_chaperone():
    d = run(
        P,
        PASTORAL,
        purpose="counselling",
        staff=[{"role": "counsellor"}],
        chaperone_present=False,
        second_staff_invited=False,
        at="2026-11-24T19:00:00+00:00",
    )
    assert d.outcome == "allowed"


def test_pupil_too_young_alone():
    d = run(P, PASTORAL, pupils=[{"age": 10}], chaperone_present=False, pupil_home_alone=True)
    assert d.outcome == "refused"
    assert "PUPIL_TOO_YOUNG_ALONE" in codes(d)
    assert next(f for f in d.findings if f.code == "PUPIL_TOO_YOUNG_ALONE").remedy
    older = run(P, TUITION, pupils=[{"age": 12}], pupil_home_alone=True)
    assert "PUPIL_TOO_YOUNG_ALONE" not in codes(older)
    tuition = run(P, TUITION, pupils=[{"age": 9}], pupil_home_alone=True)
    assert "PUPIL_TOO_YOUNG_ALONE" in codes(tuition)


def test_bedroom_rules():
    closed = run(P, TUITION, pupil_location="bedroom")
    assert closed.outcome == "refused"
    assert blocking(closed) == {"BEDROOM_LOCATION"}
    open_door = run(P, TUITION, pupil_location="bedroom_door_open")
    assert open_door.outcome == "allowed"
    assert "BEDROOM_DOOR_OPEN" in codes(open_door, "info")
    assert "BEDROOM_LOCATION" not in codes(open_door)
    counselling = run(
        P, TUITION, purpose="counselling", staff=[{"role": "counsellor"}], pupil_location="bedroom"
    )
    assert counselling.outcome == "allowed"


def test_recording_optional_with_its_conditions_as_checklist():
    plain = run(P, TUITION)
    recorded = run(P, TUITION, recording=True)
    assert plain.outcome == recorded.outcome == "allowed"
    assert "RECORDING_TERMS" in codes(recorded, "info")
    assert "RECORDING_TERMS" not in codes(plain)
    assert {"CALL_CONTROL", "CAMERAS_ON", "SESSION_LOG", "REPORT_CONCERNS"} <= codes(plain)


def test_slt_approved_stands_for_informed_only_outside_hours():
    assert "SLT_APPROVAL_REQUIRED" not in codes(run(P, TUITION, slt_approved=False))
