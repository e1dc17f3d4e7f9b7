"""The fewest contacts any plan can leave unplaced, by maximum flow (OR-Tools), written from the
contract alone: source -> (household, period) with the calls due -> (household, open day) with 1
(one call a day) -> (staff, day) for each eligible member of staff -> sink with calls_per_day.
A flow is a plan and a plan is a flow, so the maximum flow is the most calls any plan places."""

from __future__ import annotations

from typing import Any

from tests.rota.validator import Checker, calls_due, household_tier, periods


def min_unplaced(request: dict[str, Any]) -> int:
    from ortools.graph.python import max_flow

    checker = Checker(request)
    flow = max_flow.SimpleMaxFlow()
    nodes: dict[Any, int] = {}

    def node(key: Any) -> int:
        if key not in nodes:
            nodes[key] = len(nodes)
        return nodes[key]

    source, sink = node("source"), node("sink")
    due_total = 0
    for household in request["households"]:
        hid = household["id"]
        tier = household_tier(household)
        avoid = set(household.get("avoid_days") or [])
        staff = checker.staff_of(household)
        for k, period in enumerate(periods(checker.days, tier)):
            open_days = [d for d in period if d not in avoid]
            due = calls_due(tier, len(open_days))
            if not due:
                continue
            due_total += due
            flow.add_arc_with_capacity(source, node((hid, k)), due)
            for day in open_days:
                flow.add_arc_with_capacity(node((hid, k)), node((hid, day)), 1)
                for sid in staff:
                    if checker.eligible(sid, household, day):
                        flow.add_arc_with_capacity(node((hid, day)), node(("staff", sid, day)), 1)
    for sid, person in checker.staff.items():
        for day in checker.days:
            if ("staff", sid, day) in nodes:
                flow.add_arc_with_capacity(
                    nodes[("staff", sid, day)], sink, person["calls_per_day"]
                )
    if due_total == 0:
        return 0
    assert flow.solve(source, sink) == flow.OPTIMAL
    return due_total - flow.optimal_flow()
