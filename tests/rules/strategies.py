"""Hypothesis strategies: requests, conditions, whole protocols and school overlays."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from chaperone.rules import Protocol, ProtocolOverlay
from chaperone.rules.atoms import DERIVED_FLAGS, FLAG_FIELDS
from chaperone.rules.vocab import (
    CONSENTS,
    CONTRACT_CODES,
    HOLDERS,
    KINDS,
    PLATFORMS,
    PUPIL_LOCATIONS,
    PURPOSES,
    ROLES,
    STAFF_LOCATIONS,
    WEEKDAYS,
)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    n_pupils = 1 if kind != "group" else draw(st.integers(2, 4))
    day = draw(st.integers(1, 28))
    month = draw(st.integers(1, 12))
    hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 40, 50]))
    offset = draw(st.sampled_from(["+00:00", "+01:00", "-05:00"]))
    home_alone = draw(st.booleans())
    second_invited = draw(st.booleans())
    return {
        "at": f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00{offset}",
        "duration_minutes": draw(st.sampled_from([15, 20, 30, 60, 90])),
        "kind": kind,
        "purpose": draw(st.sampled_from(PURPOSES)),
        "platform": draw(st.sampled_from(PLATFORMS)),
        "account": draw(st.sampled_from(HOLDERS)),
        "device": draw(st.sampled_from(HOLDERS)),
        "staff_location": draw(st.sampled_from(STAFF_LOCATIONS)),
        "emergency": draw(st.booleans()),
        "staff": [
            {"role": r} for r in draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3))
        ],
        "pupils": [
            {
                "age": draw(st.integers(4, 18)),
                "vulnerable": draw(st.booleans()),
                "has_ehcp": draw(st.booleans()),
            }
            for _ in range(n_pupils)
        ],
        "parent_present": False if home_alone else draw(st.booleans()),
        "chaperone_present": draw(st.booleans()),
        "pupil_home_alone": home_alone,
        "second_staff_invited": second_invited,
        "second_staff_role": draw(st.sampled_from([None, *ROLES])),
        "dsl_invited": draw(st.booleans()),
        "recording": draw(st.booleans()),
        "parental_consent": draw(st.sampled_from(CONSENTS)),
        "slt_approved": draw(st.booleans()),
        "risk_assessed": draw(st.booleans()),
        "on_dsl_timetable": draw(st.booleans()),
        "linked_to_plan": draw(st.booleans()),
        "waiting_room": draw(st.booleans()),
        "pupil_location": draw(st.sampled_from(PUPIL_LOCATIONS)),
        "parents_informed": draw(st.booleans()),
    }


#: The windows of every generated protocol.
WINDOWS = {
    "day": {"start": "08:30", "end": "17:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
    "lunch": {"start": "12:30", "end": "13:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
    "weekend": {"start": "10:00", "end": "20:00", "days": ["sat", "sun"]},
}


def _some(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)


#: A value strategy for every condition of :class:`~chaperone.rules.conditions.Conditions`.
CONDITION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "kind": _some(KINDS),
    "purpose": _some(PURPOSES),
    "platform": _some(PLATFORMS),
    "account": _some(HOLDERS),
    "device": _some(HOLDERS),
    "staff_location": _some(STAFF_LOCATIONS),
    "pupil_location": _some(PUPIL_LOCATIONS),
    "parental_consent": _some(CONSENTS),
    **{
        flag: st.booleans()
        for flag in (
            *FLAG_FIELDS,
            *DERIVED_FLAGS,
            "platform_approved",
            "any_pupil_vulnerable",
            "any_pupil_has_ehcp",
        )
    },
    "staff_role": _some(ROLES),
    "second_staff_role": _some(ROLES),
    "consent_at_least": st.sampled_from(CONSENTS),
    "within_window": _some(tuple(WINDOWS)),
    "weekday": _some(WEEKDAYS),
    "youngest_under": st.integers(1, 25),
    "pupils_at_least": st.integers(1, 5),
}


@st.composite
def conditions(draw: Any, max_size: int = 3) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(CONDITION_VALUES)), max_size=max_size))
    return {name: draw(CONDITION_VALUES[name]) for name in names}


@st.composite
def rules(draw: Any, prefix: str = "r", count: tuple[int, int] = (1, 6)) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(*count))):
        effect = draw(st.sampled_from(["refuse", "pending", "info"]))
        rule: dict[str, Any] = {
            "id": f"{prefix}{i}",
            "code": draw(st.sampled_from(sorted(CONTRACT_CODES))),
            "effect": effect,
            "text": f"Rule {prefix}{i}.",
            "when": draw(conditions()),
            "unless": draw(conditions(max_size=2)),
            "require": draw(conditions(max_size=2)),
        }
        rule |= {"label": "Reminder"} if effect == "info" else {"remedy": "Fix it."}
        out.append(rule)
    return out


@st.composite
def protocols(draw: Any) -> Protocol:
    return Protocol.model_validate(
        {
            "id": "generated",
            "title": "Generated",
            "owner": {"kind": "trust", "name": "Generated trust"},
            "version": "1",
            "effective": "2026-09-01",
            "review": "2027-09-01",
            "retention_days": draw(st.sampled_from([None, 20, 30])),
            "platforms": draw(_some(PLATFORMS)),
            "windows": WINDOWS,
            "rules": draw(rules()),
        }
    )


def _narrowed(window: dict[str, Any], draw: Any) -> dict[str, Any]:
    """The same window or a narrower one: opening later, closing earlier, on fewer days."""
    start, end = window["start"], window["end"]
    hours = [f"{h:02d}:00" for h in range(int(start[:2]) + 1, int(end[:2]) + 1)]
    opens = draw(st.sampled_from([start, *[h for h in hours if h < end]]))
    closes = draw(st.sampled_from([end, *[h for h in hours if opens < h < end]]))
    days = draw(st.lists(st.sampled_from(window["days"]), min_size=1, unique=True))
    return {"start": opens, "end": closes, "days": days}


@st.composite
def overlays(draw: Any, base: Protocol) -> ProtocolOverlay:
    """A school overlay on ``base`` (not every one is valid: the loosening checks judge)."""
    rank = ["info", "pending", "refuse"]
    raised: dict[str, Any] = {}
    for rule in draw(st.lists(st.sampled_from(base.rules), unique_by=lambda r: r.id)):
        higher = rank[rank.index(rule.effect) :]
        effect = draw(st.sampled_from(higher))
        raised[rule.id] = effect if rule.effect != "info" else {"effect": effect, "remedy": "Do."}
    windows = {
        name: _narrowed(dict(w.model_dump(exclude_none=True)), draw)
        for name, w in base.windows.items()
        if draw(st.booleans())
    }
    data = {
        "extends": base.id,
        "id": "school",
        "title": "School additions",
        "owner": {"kind": "school", "name": "A school"},
        "version": "1",
        "effective": "2026-09-01",
        "review": "2027-09-01",
        "retention_days": draw(st.sampled_from([None, 20, 30, 60])),
        "deny_platforms": draw(st.lists(st.sampled_from(base.platforms), unique=True)),
        "windows": windows,
        "raise_effect": raised,
        "rules": draw(rules(prefix="school", count=(0, 3))),
    }
    return ProtocolOverlay.model_validate(data)
