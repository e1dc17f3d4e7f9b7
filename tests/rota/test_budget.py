"""The planner's main passes honour the budget: when the time is up before every family is
reached, a valid plan still comes back at once, the families not reached listed with a message
saying the time ran out (not that callers are full)."""

from __future__ import annotations

import time

from chaperone.rota import plan_from_dict
from tests.rota.helpers import FORTNIGHT, household, staff
from tests.rota.validator import check_plan

TIERS = ("daily", "twice_weekly", "weekly", "fortnightly")


def _request(families: int = 600, callers: int = 60) -> dict:  # type: ignore[type-arg]
    return {
        "days": FORTNIGHT,
        "staff": [staff(f"st-{i}", qualified=i % 2 == 0, calls=8) for i in range(callers)],
        "households": [
            household(f"hh-{i}", TIERS[i % 4], key=f"st-{i % callers}" if i % 3 else None)
            for i in range(families)
        ],
    }


def test_with_ample_time_nothing_is_left_for_want_of_time() -> None:
    request = _request()
    plan = plan_from_dict(request, seconds=30)
    check_plan(request, plan)
    assert not any("time allowed" in u["message"] for u in plan["unplaced"])


def test_when_the_time_is_up_the_passes_stop_and_a_valid_plan_comes_back() -> None:
    request = _request()
    # the budget was spent before planning began (as if reading the input took it all)
    started = time.monotonic() - 5
    begun = time.monotonic()
    plan = plan_from_dict(request, seconds=1, started=started)
    spent = time.monotonic() - begun
    check_plan(request, plan)  # every hard rule, and every shortfall listed
    late = [u for u in plan["unplaced"] if "time allowed for planning ran out" in u["message"]]
    assert late and all(u["reason"] == "NO_CAPACITY" for u in late)
    assert {u["household"] for u in late} == {h["id"] for h in request["households"]}
    assert plan["stats"]["unplaced"] == sum(u["missing"] for u in plan["unplaced"])
    full = plan_from_dict(request, seconds=30)
    assert plan["stats"]["calls"] < full["stats"]["calls"]
    assert spent < 5  # it did not go on planning past the budget


def test_a_plan_cut_short_half_way_keeps_what_it_placed() -> None:
    """A budget that runs out during the passes: what was placed stays, valid, and the rest is
    listed; the calls placed plus those listed are every call due."""
    request = _request(families=4000, callers=400)
    full = plan_from_dict(request, seconds=60)
    due = full["stats"]["calls"] + full["stats"]["unplaced"]
    for budget in (0.02, 0.05, 0.1, 0.2):
        plan = plan_from_dict(request, seconds=budget)
        check_plan(request, plan)
        assert plan["stats"]["calls"] + plan["stats"]["unplaced"] >= due
