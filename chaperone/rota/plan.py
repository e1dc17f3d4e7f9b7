"""From a request to the contract's plan: decode, solve, explain what could not be placed."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .problem import (
    DAILY,
    FORTNIGHTLY,
    Problem,
    build,
    decode_bytes,
    decode_dict,
    decode_previous,
)
from .solver import Shortfall, Solution, Solver

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: part of the budget kept back for writing the plan out
_RESERVE = 0.15


def plan_from_dict(
    data: dict[str, Any],
    *,
    seconds: float = 10.0,
    previous: dict[str, Any] | None = None,
    started: float | None = None,
) -> dict[str, Any]:
    """Plan a request given as a decoded JSON object (see ``shared/contracts/rota-plan.md``).

    ``previous`` is an earlier plan for the same closure (the contract's output shape): on a
    re-plan, families keep their caller and days wherever these are still valid.
    ``started`` is the ``time.monotonic()`` the budget counts from (default: now).
    Raises :class:`RotaInputError` for malformed input.
    """
    started = time.monotonic() if started is None else started
    with _no_gc():
        spec = decode_dict(data)
        prev = None if previous is None else decode_previous(previous)
        return _plan(build(spec, prev), seconds, started)


def plan_from_bytes(
    raw: bytes,
    *,
    seconds: float = 10.0,
    previous: dict[str, Any] | bytes | None = None,
    started: float | None = None,
) -> dict[str, Any]:
    """The same as :func:`plan_from_dict` for the request's JSON bytes (the command's fast path)."""
    started = time.monotonic() if started is None else started
    with _no_gc():
        spec = decode_bytes(raw)
        prev = None if previous is None else decode_previous(previous)
        return _plan(build(spec, prev), seconds, started)


@contextmanager
def _no_gc() -> Iterator[None]:
    """The planner makes many small objects and no cycles: the cyclic collector only costs time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def solve_problem(problem: Problem, seconds: float, started: float) -> Solution:
    deadline = started + seconds * (1 - _RESERVE)
    return Solver(problem, deadline).solve()


def _plan(problem: Problem, seconds: float, started: float) -> dict[str, Any]:
    solution = solve_problem(problem, seconds, started)
    days, hh_ids, staff_ids = problem.days, problem.hh_ids, problem.staff_ids
    calls = [
        {"household": hh_ids[h], "day": days[d], "staff": staff_ids[s]}
        for h, mine in enumerate(solution.calls)
        for d, s in sorted(mine.items())
    ]
    by_school: dict[int, list[int]] = {}
    if solution.shortfalls:
        for s, schools in enumerate(problem.staff_schools):
            for sc in schools:
                by_school.setdefault(sc, []).append(s)
    reach: dict[tuple[tuple[int, ...], bool], int] = {}
    unplaced = [explain(problem, short, by_school, reach) for short in solution.shortfalls]
    return {
        "calls": calls,
        "unplaced": unplaced,
        "stats": {
            "households": len(hh_ids),
            "calls": len(calls),
            "unplaced": sum(u["missing"] for u in unplaced),
            "seconds": round(time.monotonic() - started, 3),
        },
    }


# --- explaining a shortfall -----------------------------------------------------------------------


def _day(problem: Problem, d: int) -> str:
    date = problem.dates[d]
    return f"{_WEEKDAYS[date.weekday()]} {date.day} {_MONTHS[date.month - 1]}"


def _short_day(problem: Problem, d: int) -> str:
    date = problem.dates[d]
    return f"{date.day} {_MONTHS[date.month - 1]}"


def _when(problem: Problem, tier: int, days: tuple[int, ...]) -> str:
    if tier == DAILY:
        return f"on {_day(problem, days[0])}"
    if tier == FORTNIGHTLY:
        if len(days) == 1:
            return f"on {_day(problem, days[0])}"
        return f"between {_short_day(problem, days[0])} and {_short_day(problem, days[-1])}"
    return f"in the week of {_short_day(problem, days[0])}"


def _schools(problem: Problem, h: int) -> str:
    urns = [problem.schools[sc] for sc in problem.hh_schools[h]]
    if len(urns) == 1:
        return f"school {urns[0]}"
    return "schools " + ", ".join(urns[:-1]) + f" or {urns[-1]}"


def _reach(problem: Problem, h: int, by_school: dict[int, list[int]]) -> int:
    """The days on which some member of staff eligible for ``h`` (school and qualification) is
    available."""
    reach = 0
    for s in {s for sc in problem.hh_schools[h] for s in by_school.get(sc, ())}:
        if problem.qualified[s] or not problem.hh_needq[h]:
            reach |= problem.avail[s]
    return reach


def explain(
    problem: Problem,
    short: Shortfall,
    by_school: dict[int, list[int]],
    reaches: dict[tuple[tuple[int, ...], bool], int] | None = None,
) -> dict[str, Any]:
    """The contract's ``unplaced`` entry for ``short``; ``reaches`` caches :func:`_reach` per
    (schools, qualification) across the shortfalls of one plan."""
    h = short.household
    tier = problem.hh_tier[h]
    period = problem.tier_periods[tier][short.period]
    _, open_days, _, due = next(x for x in problem.hh_due[h] if x[0] == short.period)
    who = "qualified staff member" if problem.hh_needq[h] else "staff member"
    where = _schools(problem, h)
    when = _when(problem, tier, period.days)
    avoided = len(open_days) < len(period.days)
    pattern = (tuple(problem.hh_schools[h]), bool(problem.hh_needq[h]))
    if reaches is None:
        reach = _reach(problem, h, by_school)
    elif pattern in reaches:
        reach = reaches[pattern]
    else:
        reach = reaches[pattern] = _reach(problem, h, by_school)
    staffed = sum(1 for d in open_days if (reach >> d) & 1)
    calls = "call" if short.missing == 1 else "calls"
    if staffed < due:
        reason = "NO_ELIGIBLE_STAFF"
        if staffed == 0:
            message = f"No {who} of {where} is available {when}"
            message += " on the days this family can take a call." if avoided else "."
        else:
            message = (
                f"A {who} of {where} is available on only {staffed} of the days this family "
                f"can be called {when}, and {due} calls are due, so {short.missing} {calls} "
                "could not be planned."
            )
    elif short.late:
        # eligible staff exist; the time allowed ran out before the family was reached
        reason = "NO_CAPACITY"
        message = (
            f"The time allowed for planning ran out before this family's {calls} {when} "
            f"could be given to a {who} of {where}, so {short.missing} {calls} could not be "
            "planned. Plan again with more time."
        )
    else:
        reason = "NO_CAPACITY"
        message = (
            f"Every {who} of {where} who could call this family {when} is already fully "
            f"booked, so {short.missing} {calls} could not be planned. Free up a caller or "
            "raise someone's calls a day."
        )
    return {
        "household": problem.hh_ids[h],
        "period": [problem.days[period.days[0]], problem.days[period.days[-1]]],
        "missing": short.missing,
        "reason": reason,
        "message": message,
    }
