"""An outside check of a plan, written from the text of shared/contracts/rota-plan.md alone.

It shares no code with :mod:`chaperone.rota` (it works on the JSON shapes, with its own reading of
tiers, periods and eligibility), so that a solver bug cannot hide behind the same bug here. The
benchmark uses it too, on every plan it produces.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

ORDER = ["daily", "twice_weekly", "weekly", "fortnightly"]
REASONS = {"NO_ELIGIBLE_STAFF", "NO_CAPACITY"}


def household_tier(household: dict[str, Any]) -> str:
    return min((p["tier"] for p in household["pupils"]), key=ORDER.index)


def needs_qualified(household: dict[str, Any]) -> bool:
    return any(p["tier"] != "fortnightly" for p in household["pupils"])


def periods(days: list[str], tier: str) -> list[list[str]]:
    """The periods of a tier as lists of days, in order."""
    if tier == "daily":
        return [[d] for d in days]
    if tier == "fortnightly":
        return [days[i : i + 10] for i in range(0, len(days), 10)]
    weeks: dict[tuple[int, int], list[str]] = {}
    for d in days:
        iso = dt.date.fromisoformat(d).isocalendar()
        weeks.setdefault((iso[0], iso[1]), []).append(d)
    return list(weeks.values())


def calls_due(tier: str, open_days: int) -> int:
    if tier == "twice_weekly":
        return min(2, open_days)
    return min(1, open_days)


class Checker:
    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.days = list(request["days"])
        self.staff = {s["id"]: s for s in request["staff"]}
        self.households = {h["id"]: h for h in request["households"]}
        self.staff_days = {
            s["id"]: set(self.days if s.get("days") is None else s["days"])
            for s in request["staff"]
        }
        self.by_school: dict[str, list[str]] = defaultdict(list)
        for person in request["staff"]:
            for school in person["schools"]:
                self.by_school[school].append(person["id"])

    def eligible(self, staff_id: str, household: dict[str, Any], day: str) -> bool:
        person = self.staff[staff_id]
        if day not in self.staff_days[staff_id]:
            return False
        if day in set(household.get("avoid_days") or []):
            return False
        if not {p["school"] for p in household["pupils"]} & set(person["schools"]):
            return False
        return not (needs_qualified(household) and not person["qualified"])

    def staff_of(self, household: dict[str, Any]) -> set[str]:
        schools = {p["school"] for p in household["pupils"]}
        return {sid for school in schools for sid in self.by_school.get(school, ())}

    def problems(self, plan: dict[str, Any]) -> list[str]:
        out: list[str] = []
        if set(plan) != {"calls", "unplaced", "stats"}:
            out.append(f"plan keys are {sorted(plan)}")
            return out
        seen: set[tuple[str, str]] = set()
        per_staff_day: Counter[tuple[str, str]] = Counter()
        made: dict[str, set[str]] = defaultdict(set)
        for i, call in enumerate(plan["calls"]):
            if set(call) != {"household", "day", "staff"}:
                out.append(f"calls[{i}] has keys {sorted(call)}")
                continue
            h, d, s = call["household"], call["day"], call["staff"]
            if h not in self.households or s not in self.staff or d not in self.days:
                out.append(f"calls[{i}] refers to something not in the request: {call}")
                continue
            if not self.eligible(s, self.households[h], d):
                out.append(f"calls[{i}]: {s} is not eligible for {h} on {d}")
            if (h, d) in seen:
                out.append(f"calls[{i}]: {h} is called twice on {d}")
            seen.add((h, d))
            per_staff_day[(s, d)] += 1
            made[h].add(d)
        for (s, d), n in per_staff_day.items():
            if n > self.staff[s]["calls_per_day"]:
                out.append(f"{s} has {n} calls on {d}, over {self.staff[s]['calls_per_day']}")
        listed: dict[tuple[str, str, str], dict[str, Any]] = {}
        for i, entry in enumerate(plan["unplaced"]):
            if set(entry) != {"household", "period", "missing", "reason", "message"}:
                out.append(f"unplaced[{i}] has keys {sorted(entry)}")
                continue
            key = (entry["household"], entry["period"][0], entry["period"][-1])
            if key in listed:
                out.append(f"unplaced[{i}] repeats {key}")
            listed[key] = entry
            if entry["reason"] not in REASONS:
                out.append(f"unplaced[{i}] has reason {entry['reason']!r}")
            if not isinstance(entry["message"], str) or len(entry["message"]) < 10:
                out.append(f"unplaced[{i}] has no message a DSL can read")
        for hid, household in self.households.items():
            avoid = set(household.get("avoid_days") or [])
            tier = household_tier(household)
            for period in periods(self.days, tier):
                open_days = [d for d in period if d not in avoid]
                due = calls_due(tier, len(open_days))
                got = sum(1 for d in period if d in made[hid])
                short = max(0, due - got)
                entry = listed.pop((hid, period[0], period[-1]), None)
                if short and entry is None:
                    out.append(f"{hid}: {short} call(s) missing in {period[0]}..{period[-1]}")
                elif entry is not None and entry["missing"] != short:
                    out.append(
                        f"{hid} {period[0]}..{period[-1]}: unplaced says {entry['missing']}, "
                        f"the plan is short of {short}"
                    )
                elif entry is not None:
                    staff = self.staff_of(household)
                    staffed = sum(
                        1 for d in open_days if any(self.eligible(s, household, d) for s in staff)
                    )
                    expected = "NO_ELIGIBLE_STAFF" if staffed < due else "NO_CAPACITY"
                    if entry["reason"] != expected:
                        out.append(
                            f"{hid} {period[0]}..{period[-1]}: reason {entry['reason']}, "
                            f"expected {expected} ({staffed} staffed open days, {due} due)"
                        )
        for key in listed:
            out.append(f"unplaced lists {key}, which is not a period of that household")
        stats = plan["stats"]
        if set(stats) != {"households", "calls", "unplaced", "seconds"}:
            out.append(f"stats keys are {sorted(stats)}")
        else:
            if stats["households"] != len(self.households):
                out.append(f"stats.households {stats['households']} != {len(self.households)}")
            if stats["calls"] != len(plan["calls"]):
                out.append(f"stats.calls {stats['calls']} != {len(plan['calls'])}")
            total = sum(e["missing"] for e in plan["unplaced"])
            if stats["unplaced"] != total:
                out.append(f"stats.unplaced {stats['unplaced']} != {total}")
            if not isinstance(stats["seconds"], int | float) or stats["seconds"] < 0:
                out.append(f"stats.seconds is {stats['seconds']!r}")
        return out


def check_plan(request: dict[str, Any], plan: dict[str, Any]) -> None:
    """Raise AssertionError listing every hard rule the plan breaks."""
    found = Checker(request).problems(plan)
    assert not found, "\n".join(found[:20])


def continuity_breaks(request: dict[str, Any], plan: dict[str, Any]) -> int:
    """Households with a key adult who did not make every call due to them."""
    by: dict[str, set[str]] = defaultdict(set)
    for call in plan["calls"]:
        by[call["household"]].add(call["staff"])
    short = {e["household"] for e in plan["unplaced"]}
    return sum(
        1
        for h in request["households"]
        if h.get("key_adult") is not None and (h["id"] in short or by[h["id"]] - {h["key_adult"]})
    )


def callers_per_household(plan: dict[str, Any]) -> dict[str, int]:
    by: dict[str, set[str]] = defaultdict(set)
    for call in plan["calls"]:
        by[call["household"]].add(call["staff"])
    return {h: len(s) for h, s in by.items()}
