"""The contract's example (shared/contracts/rota-examples) and the outside validator itself."""

from __future__ import annotations

import copy
import json

import pytest

from chaperone.rota import lower_bounds, plan_from_dict
from tests.rota.helpers import SMALL_PLAN, small_input
from tests.rota.validator import Checker, check_plan, continuity_breaks


def test_the_contracts_own_plan_passes_the_validator():
    check_plan(small_input(), json.loads(SMALL_PLAN.read_text()))


def test_the_validator_catches_broken_plans():
    request = small_input()
    good = json.loads(SMALL_PLAN.read_text())
    broken = []
    plan = copy.deepcopy(good)
    plan["calls"][0]["staff"] = "st-tutor"  # unqualified, wrong school
    broken.append(plan)
    plan = copy.deepcopy(good)
    plan["calls"].pop(0)  # a daily call missing and not listed
    broken.append(plan)
    plan = copy.deepcopy(good)
    plan["unplaced"][0]["reason"] = "NO_CAPACITY"
    broken.append(plan)
    plan = copy.deepcopy(good)
    plan["stats"]["calls"] += 1
    broken.append(plan)
    plan = copy.deepcopy(good)
    plan["calls"].append({"household": "hh-cp", "day": "2027-01-07", "staff": "st-dsl"})
    broken.append(plan)
    plan = copy.deepcopy(good)
    plan["calls"].append({"household": "hh-cp", "day": "2027-01-13", "staff": "st-dsl"})
    broken.append(plan)  # an avoided day
    for plan in broken:
        assert Checker(request).problems(plan), plan


def test_the_example_gets_a_valid_plan_at_the_lower_bound():
    request = small_input()
    plan = plan_from_dict(request)
    check_plan(request, plan)
    bounds = lower_bounds(request)
    assert bounds.continuity_breaks == 1  # the key adult of hh-cin is away in the third week
    assert continuity_breaks(request, plan) == bounds.continuity_breaks
    assert plan["stats"]["unplaced"] == 1
    (short,) = plan["unplaced"]
    assert short["household"] == "hh-vuln"
    assert short["period"] == ["2027-01-18", "2027-01-21"]
    assert short["reason"] == "NO_ELIGIBLE_STAFF"
    assert "100002" in short["message"] and "18 January" in short["message"]


def test_the_example_keeps_key_adults_and_few_callers():
    plan = plan_from_dict(small_input())
    callers: dict[str, set[str]] = {}
    for call in plan["calls"]:
        callers.setdefault(call["household"], set()).add(call["staff"])
    assert callers["hh-cp"] == {"st-dsl"}
    assert callers["hh-all"] == {"st-tutor"}
    # st-sen is away in the third week; one other qualified caller of school 100001 takes it all
    assert len(callers["hh-cin"]) == 1


@pytest.mark.parametrize("seconds", [0.01, 10.0])
def test_a_tiny_budget_still_gives_a_valid_plan(seconds):
    request = small_input()
    check_plan(request, plan_from_dict(request, seconds=seconds))
