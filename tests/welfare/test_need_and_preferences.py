"""Tiers from flags and the DSL's steps (history kept); families' preferences by form and CSV;
callers' availability. Bad input names the field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from chaperone.people.models import SocialCareStatus
from chaperone.welfare.models import HouseholdPreference, Tier, TierChange, most_frequent
from chaperone.welfare.need import (
    WelfareProblem,
    household_tier,
    pupil_tier,
    tier_from_flags,
    tier_set,
)
from chaperone.welfare.preferences import availability_set, preferences_import, preferences_set
from tests.factories import PupilFactory, StaffFactory
from tests.welfare.conftest import Closure

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("flags", "tier"),
    [
        ({"social_care_status": SocialCareStatus.CP}, Tier.DAILY),
        ({"social_care_status": SocialCareStatus.CIN}, Tier.TWICE_WEEKLY),
        ({"has_ehcp": True}, Tier.WEEKLY),
        ({"is_vulnerable": True}, Tier.WEEKLY),
        ({"is_looked_after": True}, Tier.WEEKLY),
        ({}, Tier.FORTNIGHTLY),
    ],
)
def test_the_flags_give_the_tier(flags, tier) -> None:  # type: ignore[no-untyped-def]
    assert tier_from_flags(PupilFactory.build(**flags)) == tier


def test_known_to_us_is_weekly() -> None:
    assert tier_from_flags(PupilFactory.build(), known_to_us=True) == Tier.WEEKLY


def test_a_household_takes_its_most_frequent_childs_tier(closure: Closure) -> None:
    assert household_tier([closure.pupils["sib_a"], closure.pupils["sib_b"]]) == Tier.WEEKLY
    assert most_frequent([]) == Tier.FORTNIGHTLY


def test_the_dsl_steps_up_and_down_with_a_reason_and_the_history_is_kept(
    closure: Closure,
) -> None:
    dsl = closure.actor(closure.dsl)
    pupil = closure.pupils["plain1"]
    tier_set(actor=dsl, pupil=pupil, tier=Tier.DAILY, reason="Father left; mother worried.")
    pupil.refresh_from_db()
    assert pupil_tier(pupil) == Tier.DAILY
    tier_set(actor=dsl, pupil=pupil, tier="", reason="Settled again", known_to_us=True)
    pupil.refresh_from_db()
    assert pupil_tier(pupil) == Tier.WEEKLY  # known to us now
    history = list(TierChange.objects.filter(pupil=pupil).order_by("changed_at", "pk"))
    assert [(h.old_tier, h.new_tier, h.direction) for h in history] == [
        ("fortnightly", "daily", "stepped up"),
        ("daily", "weekly", "stepped down"),
    ]


def test_an_unknown_tier_or_no_reason_names_the_field(closure: Closure) -> None:
    dsl = closure.actor(closure.dsl)
    with pytest.raises(WelfareProblem) as err:
        tier_set(actor=dsl, pupil=closure.pupils["cp"], tier="hourly", reason="x")
    assert err.value.field == "tier" and "'hourly' is not a tier" in err.value.message
    with pytest.raises(WelfareProblem) as err:
        tier_set(actor=dsl, pupil=closure.pupils["cp"], tier="daily", reason=" ")
    assert err.value.field == "reason"


def test_only_the_dsl_sets_tiers(closure: Closure) -> None:
    with pytest.raises(PermissionDenied):
        tier_set(
            actor=closure.actor(closure.teacher),
            pupil=closure.pupils["cp"],
            tier="daily",
            reason="x",
        )


def test_preferences_by_form(closure: Closure) -> None:
    pref = preferences_set(
        actor=closure.actor(closure.dsl),
        household=closure.families["cin"],
        values={"channel": "text", "avoid_days": ["fri", "mon"], "language": "Polish"},
    )
    assert (pref.channel, pref.avoid_days, pref.language) == ("text", "mon,fri", "Polish")
    with pytest.raises(WelfareProblem) as err:
        preferences_set(
            actor=closure.actor(closure.dsl),
            household=closure.families["cin"],
            values={"channel": "pigeon"},
        )
    assert err.value.field == "channel"


def test_a_csv_with_bad_rows_names_row_and_field_and_saves_nothing(closure: Closure) -> None:
    refs = {k: h.reference for k, h in closure.families.items()}
    data = (
        "household_reference,channel,avoid_days,language,ask_for\n"
        f"{refs['cp']},phone,mon,English,Mum\n"
        f"{refs['cin']},fax,,English,\n"
        f"{refs['ehcp']},email,someday,,\n"
        "NOPE,phone,,,\n"
    ).encode()
    result = preferences_import(actor=closure.actor(closure.dsl), school=closure.school, data=data)
    assert result.errors == [
        "Row 3, channel: Preferred channel: 'fax' is not one of phone, text, email, video.",
        "Row 4, avoid_days: Days to avoid: 'someday' is not a school day; use mon, tue, wed, "
        "thu or fri.",
        f"Row 5, household_reference: no family of {closure.school.name} has the reference 'NOPE'.",
    ]
    assert not HouseholdPreference.objects.exists()


def test_a_good_csv_is_imported(closure: Closure) -> None:
    ref = closure.families["cp"].reference
    data = f"household_reference,channel,avoid_days,avoid_times\n{ref},video,Tue;Thu,after 3pm\n"
    result = preferences_import(
        actor=closure.actor(closure.dsl), school=closure.school, data=data.encode()
    )
    assert (result.errors, result.saved) == ([], 1)
    pref = HouseholdPreference.objects.get()
    assert (pref.channel, pref.avoid_days, pref.avoid_times) == ("video", "tue,thu", "after 3pm")


def test_a_csv_with_an_unknown_column_says_which(closure: Closure) -> None:
    result = preferences_import(
        actor=closure.actor(closure.dsl), school=closure.school, data=b"household_reference,fav\n"
    )
    assert result.errors[0].startswith("Columns: 'fav' is not a column we know")


def test_staff_with_no_schools_cannot_be_callers(closure: Closure) -> None:
    lost = StaffFactory(trust=closure.trust, first_name="Nora", last_name="Noschool")
    with pytest.raises(WelfareProblem) as err:
        availability_set(actor=closure.actor(closure.dsl), staff=lost, values={})
    assert err.value.field == "staff" and "Nora Noschool has no school" in err.value.message


def test_availability_checks_each_field(closure: Closure) -> None:
    dsl = closure.actor(closure.dsl)
    good = {
        "days": ["mon", "wed"],
        "hours_from": dt.time(9),
        "hours_to": dt.time(12),
        "calls_per_day": 5,
        "school_phone": "ext 204",
        "withheld_number": "school_phone",
    }
    saved = availability_set(actor=dsl, staff=closure.teacher, values=good)
    assert (saved.days, saved.calls_per_day) == ("mon,wed", 5)
    for change, field in [
        ({"days": []}, "days"),
        ({"hours_to": dt.time(8)}, "hours_to"),
        ({"calls_per_day": 101}, "calls_per_day"),
        ({"school_phone": ""}, "school_phone"),
    ]:
        with pytest.raises(WelfareProblem) as err:
            availability_set(actor=dsl, staff=closure.teacher, values={**good, **change})
        assert err.value.field == field
    # with the withheld-number policy no school phone is needed
    availability_set(
        actor=dsl,
        staff=closure.teacher,
        values={**good, "school_phone": "", "withheld_number": "withheld"},
    )
