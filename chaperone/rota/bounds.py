"""Lower bounds that no plan can beat, to measure the solver against.

**Continuity breaks.** A household with a key adult keeps them when the key adult makes every call
due to it; otherwise it is a break (another caller, or a call left unplaced). Two reasons force a
break whatever the plan:

* *eligibility*: the key adult cannot call the family at all (no shared school, not qualified
  when the family needs it, no calls a day) or is eligible on fewer open days of some period than
  the calls due in it;
* *capacity*: among the families a key adult could cover, the key adult can serve at most
  (a) as many as fit, smallest first, into the calls they can make over the whole plan, and
  (b) on each day, ``calls_per_day`` of the families for whom that day is forced (every eligible
  open day of one of their periods is needed). Each limit alone is a valid bound, so the larger
  of the two shortfalls counts; families of different key adults never compete, so the
  shortfalls add up.

**Callers.** A household with calls due needs at least one caller, and two when no single
eligible member of staff is available on enough of its open days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .problem import Problem, build, decode_dict


@dataclass(frozen=True)
class Bounds:
    continuity_breaks: int
    #: of which forced by the key adult's eligibility (the rest by their capacity)
    eligibility_breaks: int
    callers: int
    households_with_key_adult: int


def _able(p: Problem, h: int, s: int) -> bool:
    if p.cap[s] == 0 or (p.hh_needq[h] and not p.qualified[s]):
        return False
    if not set(p.hh_schools[h]).intersection(p.staff_schools[s]):
        return False
    m = p.avail[s]
    return all((mask & m).bit_count() >= due for _, _, mask, due in p.hh_due[h])


def bounds_of(p: Problem) -> Bounds:
    eligibility = 0
    keyed = 0
    served: dict[int, list[int]] = {}
    for h, key in enumerate(p.hh_key):
        if key < 0:
            continue
        keyed += 1
        if not p.hh_due[h]:
            continue
        if _able(p, h, key):
            served.setdefault(key, []).append(h)
        else:
            eligibility += 1
    capacity = 0
    for s, households in served.items():
        budget = p.cap[s] * p.avail[s].bit_count()
        sizes = sorted(sum(due for *_, due in p.hh_due[h]) for h in households)
        fit = 0
        for size in sizes:
            if size > budget:
                break
            budget -= size
            fit += 1
        by_total = len(households) - fit
        forced = [0] * p.n_days
        m = p.avail[s]
        for h in households:
            days = 0
            for _, _, mask, due in p.hh_due[h]:
                eligible = mask & m
                if eligible.bit_count() == due:
                    days |= eligible
            for d in range(p.n_days):
                if (days >> d) & 1:
                    forced[d] += 1
        by_day = max((max(0, f - p.cap[s]) for f in forced), default=0)
        capacity += max(by_total, by_day)
    callers = 0
    by_school: dict[int, list[int]] = {}
    for s, schools in enumerate(p.staff_schools):
        for sc in schools:
            by_school.setdefault(sc, []).append(s)
    for h in range(len(p.hh_ids)):
        if not p.hh_due[h]:
            continue
        key = p.hh_key[h]
        if key >= 0 and _able(p, h, key):
            callers += 1
            continue
        staff = dict.fromkeys(s for sc in p.hh_schools[h] for s in by_school.get(sc, ()))
        callers += 1 if any(_able(p, h, s) for s in staff) else 2
    return Bounds(eligibility + capacity, eligibility, callers, keyed)


def lower_bounds(data: dict[str, Any]) -> Bounds:
    """The lower bounds for a request in the contract's input shape."""
    return bounds_of(build(decode_dict(data)))
