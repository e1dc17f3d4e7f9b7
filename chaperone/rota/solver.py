"""The solver: greedy construction in order of rigidity, then a repair step.

1. **Keep.** Households whose key adult (or, on a re-plan, previous caller) is eligible on enough
   open days of every period are given to that person first, daily families before twice-weekly,
   weekly and fortnightly ones, on the days they had before where still valid, otherwise on the
   person's least busy days.
2. **Place.** Every other household goes to one eligible caller who can make all its calls, the
   one with the lowest load relative to capacity (a lazy heap per school and qualification), or,
   when no single caller can, to as few callers as possible (greedy set cover).
3. **Repair.** A call that still does not fit is placed along an augmenting path of the plan's
   flow network (source -> household period -> household day -> caller's day -> sink): other
   families' calls move to another day or another caller, the fewest moves first, while time
   remains. Given the time, this places as many calls as any plan could (a maximum flow).

Every pass honours the deadline: Keep and Place look at the clock every
:data:`CLOCK_EVERY` families, and when the time is up the families not reached yet are left
out whole (listed as shortfalls marked ``late``) so a valid plan still comes back in time.

Schools that share no staff are independent components; the heaps are per school, so each
component is planned on its own figures without being split up explicitly.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .problem import Problem

#: callers popped from the heaps before falling back to a scan of every eligible caller
HEAP_ATTEMPTS = 8
#: families placed between two looks at the clock in the Keep and Place passes
CLOCK_EVERY = 64


@dataclass
class Shortfall:
    household: int
    period: int  # period number within the household's tier
    missing: int
    #: the family was not reached before the time ran out (not for want of staff or room)
    late: bool = False


@dataclass
class Solution:
    #: per household, {day: staff}
    calls: list[dict[int, int]]
    shortfalls: list[Shortfall] = field(default_factory=list)


class Solver:
    def __init__(self, problem: Problem, deadline: float) -> None:
        self.p = problem
        self.deadline = deadline
        self.D = problem.n_days
        n_staff = len(problem.staff_ids)
        self.load = [0] * (n_staff * self.D)
        self.total = [0] * n_staff
        self.captotal = [problem.cap[s] * problem.avail[s].bit_count() for s in range(n_staff)]
        self.calls: list[dict[int, int]] = [{} for _ in problem.hh_ids]
        #: per staff member, the households they call (possibly listed twice)
        self.families: list[list[int]] = [[] for _ in range(n_staff)]
        #: households placed by more than one caller or not in full (where shortfalls may be)
        self.split: list[int] = []
        #: households the passes did not reach before the deadline
        self.late: set[int] = set()
        #: household patterns no single caller can take any more (see place_single)
        self.no_single: set[tuple[tuple[int, ...], bool, int, int]] = set()
        #: household patterns for which no caller has room for any call any more
        self.no_room: set[tuple[tuple[int, ...], bool, int, int]] = set()
        #: nodes of the flow network (see augment) from which no augmenting path leads to a
        #: caller's day with room: a later augmentation cannot pass through them either, so
        #: searches skip them
        self.dead: set[tuple[str, int, int]] = set()
        # pools: per (school, needs qualified) the callers with some capacity
        n_schools = len(problem.schools)
        self.pool_all: list[list[int]] = [[] for _ in range(n_schools)]
        self.pool_q: list[list[int]] = [[] for _ in range(n_schools)]
        for s in range(n_staff):
            if not self.captotal[s]:
                continue
            for sc in problem.staff_schools[s]:
                self.pool_all[sc].append(s)
                if problem.qualified[s]:
                    self.pool_q[sc].append(s)
        self.staff_pools: list[list[int]] = [[] for _ in range(n_staff)]
        for sc in range(n_schools):
            for s in self.pool_all[sc]:
                self.staff_pools[s].append(2 * sc)
            for s in self.pool_q[sc]:
                self.staff_pools[s].append(2 * sc + 1)
        self.heaps: list[list[tuple[float, int]]] = []

    # --- small helpers ---------------------------------------------------------------------------

    def eligible_static(self, h: int, s: int) -> bool:
        """Shares a school with the household and is qualified where it needs it."""
        p = self.p
        if p.hh_needq[h] and not p.qualified[s]:
            return False
        schools = p.staff_schools[s]
        return any(sc in schools for sc in p.hh_schools[h])

    def able(self, h: int, s: int) -> bool:
        """Eligible on enough open days of every period (capacity aside)."""
        if not self.eligible_static(h, s):
            return False
        m = self.p.avail[s]
        return all((mask & m).bit_count() >= due for _, _, mask, due in self.p.hh_due[h])

    def candidates(self, h: int) -> list[int]:
        p = self.p
        pools = self.pool_q if p.hh_needq[h] else self.pool_all
        schools = p.hh_schools[h]
        if len(schools) == 1:
            return pools[schools[0]]
        return list(dict.fromkeys(s for sc in schools for s in pools[sc]))

    def ratio(self, s: int) -> float:
        return self.total[s] / self.captotal[s]

    def cover(self, h: int, s: int) -> list[int] | None:
        """Days on which ``s`` can make every call due to ``h``, or None."""
        p = self.p
        m = p.avail[s] & ~p.hh_avoid[h]
        c = p.cap[s]
        load = self.load
        base = s * self.D
        prev = p.previous[h]
        chosen: list[int] = []
        for _, open_days, _, due in p.hh_due[h]:
            if due == 1 and not prev:
                # the common case: the least busy open day
                best, low = -1, c
                for d in open_days:
                    if (m >> d) & 1 and load[base + d] < low:
                        best, low = d, load[base + d]
                if best < 0:
                    return None
                chosen.append(best)
                continue
            free = [d for d in open_days if (m >> d) & 1 and load[base + d] < c]
            if len(free) < due:
                return None
            if len(free) > due:
                free.sort(key=lambda d: (d not in prev, load[base + d], d))
                if due == 2:
                    # twice a week: days apart where possible (Monday and Thursday, not Monday
                    # and Tuesday)
                    first = free[0]
                    dates = self.p.dates
                    free = [
                        first,
                        min(
                            free[1:],
                            key=lambda d: (
                                d not in prev,
                                abs((dates[d] - dates[first]).days) < 2,
                                load[base + d],
                                d,
                            ),
                        ),
                    ]
                else:
                    del free[due:]
            chosen.extend(free)
        return chosen

    def commit(self, h: int, s: int, days: list[int]) -> None:
        base = s * self.D
        mine = self.calls[h]
        load = self.load
        for d in days:
            load[base + d] += 1
            mine[d] = s
        self.total[s] += len(days)
        self.families[s].append(h)

    def push(self, s: int) -> None:
        r = self.ratio(s)
        for pid in self.staff_pools[s]:
            heapq.heappush(self.heaps[pid], (r, s))

    # --- the passes ------------------------------------------------------------------------------

    def solve(self) -> Solution:
        p = self.p
        n = len(p.hh_ids)
        keep: list[tuple[int, int, int]] = []  # (tier, household, preferred caller)
        rest: list[tuple[int, int]] = []
        for h in range(n):
            if not p.hh_due[h]:
                continue
            prefs = self.preferred(h)
            if prefs:
                keep.append((p.hh_tier[h], h, prefs[0]))
            else:
                rest.append((p.hh_tier[h], h))
        keep.sort()
        clock = time.monotonic
        for i, (_, h, s) in enumerate(keep):
            if not i % CLOCK_EVERY and clock() >= self.deadline:
                self.late.update(h2 for _, h2, _ in keep[i:])
                self.late.update(h2 for _, h2 in rest)
                break
            days = self.cover(h, s)
            if days is None:
                # the preferred caller is full: a second preference, else placed like the rest
                others = self.preferred(h)[1:]
                for s2 in others:
                    days = self.cover(h, s2)
                    if days is not None:
                        self.commit(h, s2, days)
                        break
                else:
                    rest.append((p.hh_tier[h], h))
                continue
            self.commit(h, s, days)
        rest.sort()
        self.heaps = [[] for _ in range(2 * len(p.schools))]
        for sc in range(len(p.schools)):
            self.heaps[2 * sc] = [(self.ratio(s), s) for s in self.pool_all[sc]]
            self.heaps[2 * sc + 1] = [(self.ratio(s), s) for s in self.pool_q[sc]]
            heapq.heapify(self.heaps[2 * sc])
            heapq.heapify(self.heaps[2 * sc + 1])
        if self.late:
            rest = []
        for i, (_, h) in enumerate(rest):
            if not i % CLOCK_EVERY and clock() >= self.deadline:
                self.late.update(h2 for _, h2 in rest[i:])
                break
            if not self.place_single(h):
                self.place_split(h)
                self.split.append(h)
        self.split.extend(sorted(self.late))
        solution = Solution(self.calls, self.shortfalls())
        if solution.shortfalls:
            self.repair(solution)
            # the repair moved other families' calls: count every family's periods again, so
            # what is listed as missing is exactly what the calls leave short
            solution.shortfalls = self.shortfalls(range(n))
        return solution

    def preferred(self, h: int) -> list[int]:
        """The key adult, then the previous plan's main caller, where able to cover the family."""
        p = self.p
        out: list[int] = []
        key = p.hh_key[h]
        if key >= 0 and self.captotal[key] and self.able(h, key):
            out.append(key)
        prev = p.previous[h]
        if prev:
            counts: dict[int, int] = {}
            for s in prev.values():
                counts[s] = counts.get(s, 0) + 1
            main = max(counts, key=lambda s: (counts[s], -s))
            if main not in out and self.captotal[main] and self.able(h, main):
                out.append(main)
        return out

    def place_single(self, h: int) -> bool:
        p = self.p
        pids = [2 * sc + (1 if p.hh_needq[h] else 0) for sc in p.hh_schools[h]]
        heaps = self.heaps
        tried: list[tuple[float, int, int]] = []
        seen: set[int] = set()
        placed = False
        for _ in range(HEAP_ATTEMPTS):
            best: tuple[float, int, int] | None = None
            for pid in pids:
                heap = heaps[pid]
                while heap:
                    r, s = heap[0]
                    if r != self.total[s] / self.captotal[s]:
                        heapq.heappop(heap)  # stale
                        continue
                    if s in seen:
                        tried.append((r, s, pid))
                        heapq.heappop(heap)
                        continue
                    if best is None or (r, s) < best[:2]:
                        best = (r, s, pid)
                    break
            if best is None:
                break
            r, s, pid = best
            heapq.heappop(heaps[pid])
            seen.add(s)
            days = self.cover(h, s)
            if days is not None:
                self.commit(h, s, days)
                self.push(s)
                placed = True
                break
            tried.append(best)
        for r, s, pid in tried:
            # a caller with no room left is dropped from the heaps for good
            if r == self.total[s] / self.captotal[s] and self.total[s] < self.captotal[s]:
                heapq.heappush(heaps[pid], (r, s))
        if placed:
            return True
        if len(seen) >= len(self.candidates(h)):
            return False
        # Loads only grow while households are placed, so when no caller can take every call
        # of this pattern (schools, qualification, tier, avoided days) now, none can later.
        pattern = (p.hh_schools[h], p.hh_needq[h], p.hh_tier[h], p.hh_avoid[h])
        if pattern in self.no_single:
            return False
        # a scan of every eligible caller with room, least loaded first
        total, captotal = self.total, self.captotal
        order = sorted(
            (s for s in self.candidates(h) if total[s] < captotal[s] and s not in seen),
            key=lambda s: (self.ratio(s), s),
        )
        for s in order:
            days = self.cover(h, s)
            if days is not None:
                self.commit(h, s, days)
                self.push(s)
                return True
        self.no_single.add(pattern)
        return False

    def place_split(self, h: int) -> None:
        """No single caller can make every call: as few callers as possible (greedy set cover)."""
        p = self.p
        avoid = p.hh_avoid[h]
        need = {k: due for k, _, _, due in p.hh_due[h]}
        open_of = {k: days for k, days, _, _ in p.hh_due[h]}
        pattern = (p.hh_schools[h], p.hh_needq[h], p.hh_tier[h], avoid)
        if pattern in self.no_room:
            return
        total, captotal = self.total, self.captotal
        cands = [s for s in self.candidates(h) if total[s] < captotal[s]]
        mine = self.calls[h]
        load = self.load
        first = True
        while need:
            best: tuple[int, float, int] | None = None
            best_days: list[int] = []
            for s in cands:
                m = p.avail[s] & ~avoid
                c = p.cap[s]
                base = s * self.D
                days: list[int] = []
                for k, left in need.items():
                    free = [
                        d
                        for d in open_of[k]
                        if (m >> d) & 1 and d not in mine and load[base + d] < c
                    ]
                    if len(free) > left:
                        free.sort(key=lambda d: (load[base + d], d))
                        del free[left:]
                    days.extend(free)
                if days:
                    key = (-len(days), self.ratio(s), s)
                    if best is None or key < best:
                        best, best_days = key, days
            if best is None:
                if first:
                    self.no_room.add(pattern)
                break
            first = False
            s = best[2]
            self.commit(h, s, best_days)
            self.push(s)
            for d in best_days:
                k = self.period_of(h, d)
                need[k] -= 1
                if not need[k]:
                    del need[k]

    def period_of(self, h: int, d: int) -> int:
        for k, _, mask, _ in self.p.hh_due[h]:
            if (mask >> d) & 1:
                return k
        raise KeyError(d)

    def shortfalls(self, households: Iterable[int] | None = None) -> list[Shortfall]:
        """What the calls leave short, per household and period: of the households placed by
        splitting (the others were covered whole), or of ``households``."""
        out = []
        for h in sorted(self.split) if households is None else households:
            dues = self.p.hh_due[h]
            mine = self.calls[h]
            late = h in self.late
            for k, open_days, _, due in dues:
                made = sum(1 for d in open_days if d in mine)
                if made < due:
                    out.append(Shortfall(h, k, due - made, late))
        return out

    # --- repair ----------------------------------------------------------------------------------

    def repair(self, solution: Solution) -> None:
        """Place missing calls along augmenting paths while time remains."""
        remaining: list[Shortfall] = []
        for short in solution.shortfalls:
            h = short.household
            while short.missing and time.monotonic() < self.deadline and self.augment(h, short):
                short.missing -= 1
            if short.missing:
                remaining.append(short)
        solution.shortfalls = remaining

    def augment(self, h: int, short: Shortfall) -> bool:
        """One more call for ``h`` in the short period along an augmenting path of the plan's
        flow network (source -> household period -> household day -> caller day -> sink, as in
        the module docstring), found breadth first so the fewest calls move.

        The nodes are ``("k", household, period)``, ``("d", household, day)`` and ``("s",
        caller, day)``. From a period the path may give the family a call on any open day it has
        none; from a day without a call, any eligible caller free that day; from a full caller's
        day, back along one of the calls already there; from a family's existing call, to another
        caller the same day or back to its period (the call moves to another day). Reaching a
        caller's day with room ends the path. Because this is exactly the residual graph,
        repeating it until it fails places as many calls as any plan can (maximum flow).

        A search that fails having looked everywhere marks every node it reached as dead: no
        path from them reaches room, and later augmentations (which cannot pass through them)
        never open one, so later searches skip them."""
        p = self.p
        D = self.D
        calls, load, cap, avail = self.calls, self.load, p.cap, p.avail
        dead = self.dead
        Node = tuple[str, int, int]
        start: Node = ("k", h, short.period)
        if start in dead:
            return False
        parent: dict[Node, Node | None] = {start: None}
        queue: list[Node] = [start]
        clock = time.monotonic
        end: Node | None = None
        i = 0
        while i < len(queue):
            if not i % 256 and i and clock() >= self.deadline:
                return False  # cut short: nothing is marked dead
            node = queue[i]
            i += 1
            kind, a, b = node
            nxt: list[Node] = []
            if kind == "k":
                # a call on another open day of the period (one without a call of this family)
                mine = calls[a]
                open_days = next(days for k, days, _, _ in p.hh_due[a] if k == b)
                nxt = [("d", a, d) for d in open_days if d not in mine]
            elif kind == "d":
                mine = calls[a]
                current = mine.get(b)
                if current is not None:
                    # an existing call: back to the period (another day) ...
                    nxt.append(("k", a, self.period_of(a, b)))
                # ... or to another eligible caller free that day, the family's callers first
                callers = set(mine.values())
                options = [
                    s2 for s2 in self.candidates(a) if s2 != current and (avail[s2] >> b) & 1
                ]
                options.sort(key=lambda s2: s2 not in callers)
                nxt += [("s", s2, b) for s2 in options]
            else:
                if load[a * D + b] < cap[a]:
                    end = node
                    break
                # full: one of the families called there moves
                nxt = [
                    ("d", h2, b) for h2 in dict.fromkeys(self.families[a]) if calls[h2].get(b) == a
                ]
            for n2 in nxt:
                if n2 in parent or n2 in dead:
                    continue
                parent[n2] = node
                if n2[0] == "s" and load[n2[1] * D + n2[2]] < cap[n2[1]]:
                    end = n2
                    break
                queue.append(n2)
            if end is not None:
                break
        if end is None:
            dead.update(parent)  # searched to exhaustion
            return False
        path: list[Node] = []
        cur: Node | None = end
        while cur is not None:
            path.append(cur)
            cur = parent[cur]
        path.reverse()
        # calls taken off a full caller's day (caller day -> family day), then calls made
        # (family day -> caller day); removals first, so a call moved to another caller the
        # same day is not lost
        removed = [(y[1], y[2], x[1]) for x, y in itertools.pairwise(path) if x[0] == "s"]
        added = [(x[1], x[2], y[1]) for x, y in itertools.pairwise(path) if y[0] == "s"]
        for fam, d, s in removed:
            del calls[fam][d]
            load[s * D + d] -= 1
            self.total[s] -= 1
        for fam, d, s in added:
            calls[fam][d] = s
            load[s * D + d] += 1
            self.total[s] += 1
            self.families[s].append(fam)
        return True


def solve(problem: Problem, deadline: float) -> Solution:
    return Solver(problem, deadline).solve()
