"""Re-planning after an absence moves only the families that must move."""

from __future__ import annotations

from collections import defaultdict

from benchmarks.rota import generate
from chaperone.rota import lower_bounds, plan_from_dict
from tests.rota.helpers import FORTNIGHT, household, small_input, staff
from tests.rota.validator import check_plan, continuity_breaks


def _by_household(plan):
    out = defaultdict(set)
    for call in plan["calls"]:
        out[call["household"]].add((call["day"], call["staff"]))
    return out


def test_only_the_absent_callers_families_move():
    request = {
        "days": FORTNIGHT,
        "staff": [
            staff("st-a", calls=3),
            staff("st-b", calls=3),
            staff("st-c", calls=3),
            staff("st-d", calls=3, qualified=False),
        ],
        "households": [
            household("hh-1", "daily", key="st-a"),
            household("hh-2", "twice_weekly", key="st-b"),
            household("hh-3", "weekly", key="st-a"),
            household("hh-4", "fortnightly", key="st-d"),
            household("hh-5", "fortnightly"),
            household("hh-6", "weekly"),
            household("hh-7", "fortnightly", "weekly", key="st-c"),
        ],
    }
    first = plan_from_dict(request)
    check_plan(request, first)
    assert continuity_breaks(request, first) == 0
    # st-a is away for the second week
    request["staff"][0]["days"] = FORTNIGHT[:5]
    again = plan_from_dict(request, previous=first)
    check_plan(request, again)
    before, after = _by_household(first), _by_household(again)
    moved = {h for h in before if before[h] != after[h]}
    must_move = {
        h
        for h, calls in before.items()
        if any(s == "st-a" and d in FORTNIGHT[5:] for d, s in calls)
    }
    assert moved == must_move
    # a family that had to move goes to one other qualified caller (fewest callers), every day
    assert len({s for _, s in after["hh-1"]}) == 1
    assert {d for d, _ in after["hh-1"]} == set(FORTNIGHT)


def test_a_re_plan_keeps_days_where_still_valid():
    request = small_input()
    first = plan_from_dict(request)
    again = plan_from_dict(request, previous=first)
    assert _by_household(first) == _by_household(again)


def test_a_re_plan_of_a_generated_trust_moves_only_families_that_must():
    request = generate(5, 4_000, 250)
    first = plan_from_dict(request)
    check_plan(request, first)
    away = {s["id"] for s in request["staff"][::25]}
    for person in request["staff"]:
        if person["id"] in away:
            person["days"] = []
    again = plan_from_dict(request, previous=first)
    check_plan(request, again)
    before, after = _by_household(first), _by_household(again)
    must_move = {h for h, calls in before.items() if any(s in away for _, s in calls)}
    moved = {h for h in set(before) | set(after) if before.get(h) != after.get(h)}
    assert must_move <= moved
    # families whose caller is still there keep caller and days (allowing a handful that make
    # room on a full caller's day for a family that had to move)
    assert len(moved - must_move) <= 0.01 * len(request["households"])
    gap = continuity_breaks(request, again) - lower_bounds(request).continuity_breaks
    assert gap <= 0.01 * len(request["households"])
