"""Hypothesis strategies: small but awkward planning requests (odd horizons, staff away, avoided
days, siblings across schools, tight capacity)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

SCHOOLS = ["100001", "100002", "100003"]
TIERS = ["daily", "twice_weekly", "weekly", "fortnightly"]


@st.composite
def requests(draw: st.DrawFn, max_days: int = 24) -> dict[str, Any]:
    start = dt.date(2027, 1, 1) + dt.timedelta(days=draw(st.integers(0, 400)))
    gaps = draw(st.lists(st.integers(1, 4), min_size=0, max_size=max_days - 1))
    dates = [start]
    for gap in gaps:
        dates.append(dates[-1] + dt.timedelta(days=gap))
    days = [d.isoformat() for d in dates]
    subset = st.lists(st.sampled_from(days), unique=True).map(sorted)
    n_staff = draw(st.integers(0, 6))
    staff = []
    for k in range(n_staff):
        person: dict[str, Any] = {
            "id": f"st-{k}",
            "schools": draw(
                st.lists(st.sampled_from(SCHOOLS), min_size=1, max_size=2, unique=True)
            ),
            "qualified": draw(st.booleans()),
            "calls_per_day": draw(st.integers(0, 4)),
        }
        availability = draw(st.sampled_from(["all", "some", "none"]))
        if availability == "some":
            person["days"] = draw(subset)
        elif availability == "none":
            person["days"] = []
        staff.append(person)
    staff_ids = [s["id"] for s in staff]
    households = []
    pupil = 0
    for h in range(draw(st.integers(1, 10))):
        pupils = []
        for _ in range(draw(st.integers(1, 3))):
            pupils.append(
                {
                    "id": f"p-{pupil}",
                    "school": draw(st.sampled_from(SCHOOLS)),
                    "tier": draw(st.sampled_from(TIERS)),
                }
            )
            pupil += 1
        household: dict[str, Any] = {"id": f"hh-{h}", "pupils": pupils}
        if staff_ids and draw(st.booleans()):
            household["key_adult"] = draw(st.sampled_from(staff_ids))
        if draw(st.booleans()):
            household["avoid_days"] = draw(subset)
        households.append(household)
    return {"days": days, "staff": staff, "households": households}
