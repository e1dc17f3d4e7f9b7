"""Random requests always get a plan that keeps every hard rule of the contract."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings

from benchmarks.rota import generate, with_absences
from chaperone.rota import lower_bounds, plan_from_dict
from tests.rota.flow import min_unplaced
from tests.rota.strategies import requests
from tests.rota.validator import check_plan, continuity_breaks, needs_qualified

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(requests())
def test_random_requests_get_valid_plans(request):
    plan = plan_from_dict(request)
    check_plan(request, plan)
    assert continuity_breaks(request, plan) >= lower_bounds(request).continuity_breaks


@settings(SETTINGS, max_examples=100)
@given(requests(), requests())
def test_a_re_plan_from_any_earlier_plan_is_valid(request, other):
    earlier = plan_from_dict(other)  # calls about other households and staff are ignored
    check_plan(request, plan_from_dict(request, previous=earlier))
    first = plan_from_dict(request)
    check_plan(request, plan_from_dict(request, previous=first))


def _vulnerable_and_capacity(request, plan):
    households = {h["id"]: h for h in request["households"]}
    staff = {s["id"]: s for s in request["staff"]}
    per_day: dict[tuple[str, str], int] = {}
    for call in plan["calls"]:
        if needs_qualified(households[call["household"]]):
            assert staff[call["staff"]]["qualified"], call
        key = (call["staff"], call["day"])
        per_day[key] = per_day.get(key, 0) + 1
    for (sid, _day), n in per_day.items():
        assert n <= staff[sid]["calls_per_day"]


@SETTINGS
@given(requests())
def test_no_vulnerable_family_gets_an_unqualified_caller_and_nobody_is_over_capacity(request):
    _vulnerable_and_capacity(request, plan_from_dict(request))


def test_a_generated_trust_with_tight_capacity():
    request = generate(7, 1_500, 60)
    rng = random.Random(7)
    for person in request["staff"]:
        person["calls_per_day"] = rng.choice((0, 1, 2))
    plan = plan_from_dict(request)
    check_plan(request, plan)
    _vulnerable_and_capacity(request, plan)
    assert plan["unplaced"], "the capacity is tight on purpose"
    assert {u["reason"] for u in plan["unplaced"]} <= {"NO_CAPACITY", "NO_ELIGIBLE_STAFF"}
    assert plan["stats"]["unplaced"] == min_unplaced(request)


def test_a_generated_trust_re_planned_with_staff_away_stays_valid_and_near_the_bound():
    request = generate(11, 6_000, 400)
    plan = plan_from_dict(request)
    check_plan(request, plan)
    absent = with_absences(request, 12, 0.05)
    replan = plan_from_dict(absent, previous=plan)
    check_plan(absent, replan)
    gap = continuity_breaks(absent, replan) - lower_bounds(absent).continuity_breaks
    assert 0 <= gap <= 0.01 * len(absent["households"])


@SETTINGS
@given(requests())
def test_no_plan_leaves_fewer_contacts_unplaced(request):
    assert plan_from_dict(request)["stats"]["unplaced"] == min_unplaced(request)
