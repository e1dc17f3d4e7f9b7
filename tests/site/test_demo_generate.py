"""The demo generator on its own: school-year dates, determinism, shape of the made-up data."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

import pytest

from chaperone.people.upn import upn_problem
from chaperone.site.demo.generate import (
    TRUSTS,
    birth_range,
    generate_demo,
    login_usernames,
    year_group_for,
)
from chaperone.site.demo.names import email_local

# A UK postcode: outward code (area, district) and inward code (sector, unit without CIKMOV).
POSTCODE = re.compile(r"^[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}$")


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return generate_demo(2026)


@pytest.mark.parametrize(
    ("born", "year_group"),
    [
        (dt.date(2021, 9, 1), 0),  # oldest in Reception in 2026/27: five on the first day
        (dt.date(2022, 8, 31), 0),  # youngest in Reception: turns five at the very end
        (dt.date(2022, 9, 1), -1),  # a day younger: still in Nursery
        (dt.date(2021, 8, 31), 1),
        (dt.date(2015, 6, 24), 7),
        (dt.date(2008, 9, 1), 13),
        (dt.date(2009, 8, 31), 13),
    ],
)
def test_year_group_follows_the_english_school_year(born: dt.date, year_group: int) -> None:
    assert year_group_for(born) == year_group
    first, last = birth_range(year_group)
    assert first <= born <= last


def test_birth_ranges_are_contiguous_twelve_month_cohorts() -> None:
    for year_group in range(0, 14):
        first, last = birth_range(year_group)
        assert (first.month, first.day, last.month, last.day) == (9, 1, 8, 31)
        assert birth_range(year_group + 1)[1] + dt.timedelta(days=1) == first


def test_same_seed_same_data_other_seed_other_data(data) -> None:  # type: ignore[no-untyped-def]
    assert generate_demo(2026) == data
    other = generate_demo(7)
    assert [p.upn for p in other.pupils] != [p.upn for p in data.pupils]


def test_pupils_meet_the_minimums_with_valid_unique_upns(data) -> None:  # type: ignore[no-untyped-def]
    assert len(data.pupils) >= 600
    assert len(data.households) >= 400
    assert len(data.staff) >= 60
    upns = [p.upn for p in data.pupils]
    assert len(set(upns)) == len(upns)
    assert [u for u in upns if upn_problem(u)] == []
    assert all(year_group_for(p.date_of_birth) == p.year_group for p in data.pupils)


def test_year_groups_match_each_school(data) -> None:  # type: ignore[no-untyped-def]
    planned = {s.key: s.pupils_per_year for t in TRUSTS for s in t.schools}
    counts = Counter((p.school_key, p.year_group) for p in data.pupils)
    assert counts == Counter(
        {(key, year): n for key, per_year in planned.items() for year, n in per_year.items()}
    )


def test_siblings_are_spaced_like_real_siblings(data) -> None:  # type: ignore[no-untyped-def]
    families = defaultdict(list)
    for p in data.pupils:
        families[p.household].append(p)
    sizes = Counter(len(children) for children in families.values())
    assert sizes[2] > 50 and sizes[3] > 10
    for children in families.values():
        for a in children:
            for b in children:
                if a is not b:
                    assert a.first_name != b.first_name
                    gap = abs((a.date_of_birth - b.date_of_birth).days)
                    assert gap == 0 or gap >= 300  # twins, or ten months and more apart


def test_flag_shares_are_realistic(data) -> None:  # type: ignore[no-untyped-def]
    n = len(data.pupils)

    def share(test) -> float:  # type: ignore[no-untyped-def]
        return sum(1 for p in data.pupils if test(p)) / n

    assert 0.025 <= share(lambda p: p.has_ehcp) <= 0.035
    assert 0.11 <= share(lambda p: p.has_sen) <= 0.13
    assert not any(p.has_ehcp and p.has_sen for p in data.pupils)
    assert 0.015 <= share(lambda p: p.social_care_status == "cp") <= 0.03
    assert 0.035 <= share(lambda p: p.social_care_status == "cin") <= 0.05
    assert 0.005 <= share(lambda p: p.is_looked_after) <= 0.015
    assert 0.08 <= share(lambda p: p.is_vulnerable) <= 0.13
    # every pupil with a social-care status or in care is on the vulnerable list...
    assert all(p.is_vulnerable for p in data.pupils if p.social_care_status or p.is_looked_after)
    # ...and some are there only because staff know they are at risk ("unofficial")
    assert any(
        p.is_vulnerable and not (p.social_care_status or p.is_looked_after or p.has_ehcp)
        for p in data.pupils
    )


def test_looked_after_children_live_with_foster_carers(data) -> None:  # type: ignore[no-untyped-def]
    for p in (p for p in data.pupils if p.is_looked_after):
        household = data.households[p.household]
        assert {c.relationship for c in household.contacts} == {"foster carer"}
        assert not any(c.has_parental_responsibility for c in household.contacts)


def test_contacts_are_reachable_and_obviously_fictional(data) -> None:  # type: ignore[no-untyped-def]
    contacts = [c for h in data.households for c in h.contacts]
    languages = Counter(c.language for c in contacts)
    assert languages.most_common(1)[0][0] == "English"
    assert languages["English"] / len(contacts) > 0.8
    for language in ("Polish", "Urdu", "Romanian", "Somali", "Bengali", "Portuguese"):
        assert languages[language] > 0
    phones = [c.phone for c in contacts] + [s.phone for s in data.staff if s.phone]
    assert len(set(phones)) == len(phones)
    # Ofcom's drama ranges only: 07700 900xxx and 0113 496 0xxx
    assert all(re.fullmatch(r"\+44(7700900|1134960)\d{3}", p) for p in phones)
    emails = [c.email for c in contacts if c.email] + [s.email for s in data.staff]
    assert all(re.fullmatch(r"[a-z0-9.]+@example\.(org|com)", e) for e in emails)
    assert len(set(emails)) == len(emails)
    for c in contacts:
        if c.preferred_channel == "email":
            assert c.email
        if c.preferred_channel == "sms":
            assert c.phone.startswith("+447")
    assert all(POSTCODE.match(h.postcode) for h in data.households)


def test_staff_have_dbs_dates_and_most_acknowledged(data) -> None:  # type: ignore[no-untyped-def]
    assert all(s.dbs_checked_on <= dt.date(2026, 9, 1) for s in data.staff)
    acknowledged = [s for s in data.staff if s.code_of_conduct_acknowledged_at]
    assert 0.8 <= len(acknowledged) / len(data.staff) < 1
    assert all(s.code_of_conduct_acknowledged_at.tzinfo for s in acknowledged)
    assert [s.username for s in data.staff if s.username] == login_usernames()


def test_email_local_parts_are_plain_ascii() -> None:
    assert email_local("Łukasz", "O'Brien") == "lukasz.obrien"
    assert email_local("Gonçalo", "Wójcik") == "goncalo.wojcik"
    assert email_local("Ayşe", "Karimi") == "ayse.karimi"
