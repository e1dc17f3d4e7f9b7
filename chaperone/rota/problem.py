"""Reading a planning request: the contract's input shape, checked, turned into compact indices.

Everything the solver needs is held in flat lists indexed by staff or household number, with the
days of the plan as bit masks (a plan has at most 60 days), so that the solver's inner loops touch
only small integers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from .errors import RotaInputError

TIERS = ("daily", "twice_weekly", "weekly", "fortnightly")
DAILY, TWICE_WEEKLY, WEEKLY, FORTNIGHTLY = range(4)
TIER_INDEX = {name: i for i, name in enumerate(TIERS)}
MAX_DAYS = 60
MAX_CALLS_PER_DAY = 100
FORTNIGHT = 10
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- the wire shape (unknown fields are malformed input) ------------------------------------------


class PupilIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    school: str
    tier: str


class HouseholdIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    pupils: list[PupilIn]
    key_adult: str | None = None
    avoid_days: list[str] = []


class StaffIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    schools: list[str]
    qualified: bool
    calls_per_day: int
    days: list[str] | None = None


class InputIn(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    days: list[str]
    staff: list[StaffIn]
    households: list[HouseholdIn]


class CallIn(msgspec.Struct):
    household: str
    day: str
    staff: str


class PreviousIn(msgspec.Struct):
    """An earlier plan (the contract's output); only its calls are read."""

    calls: list[CallIn] = []


# --- the compact problem --------------------------------------------------------------------------


@dataclass
class Period:
    """One period of one tier: its days (indices into ``days``) and their mask."""

    days: tuple[int, ...]
    mask: int


Due = tuple[int, tuple[int, ...], int, int]


@dataclass
class Problem:
    days: list[str]
    dates: list[dt.date]
    schools: list[str]
    staff_ids: list[str]
    staff_schools: list[tuple[int, ...]]
    qualified: list[bool]
    cap: list[int]
    avail: list[int]  # mask of days the person is available
    hh_ids: list[str]
    hh_schools: list[tuple[int, ...]]
    hh_tier: list[int]
    hh_needq: list[bool]
    hh_avoid: list[int]  # mask of avoided days
    hh_key: list[int]  # staff index or -1
    #: per tier, its periods (the same for every household of the tier)
    tier_periods: list[list[Period]]
    #: households' due calls: per household, a list of (period number, open days, open-day
    #: mask, due), periods with nothing due left out
    hh_due: list[list[Due]] = field(default_factory=list)
    #: previous plan: per household, {day index: staff index}
    previous: list[dict[int, int]] = field(default_factory=list)

    @property
    def n_days(self) -> int:
        return len(self.days)

    def periods_of(self, h: int) -> list[Period]:
        return self.tier_periods[self.hh_tier[h]]


# --- decoding and checking ------------------------------------------------------------------------

_AT = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_NAMED = re.compile(r"field `(?P<name>[^`]+)`")


def _path(raw: str) -> str:
    return raw[1:] if raw.startswith(".") else raw


def _from_msgspec(exc: Exception, prefix: str = "") -> RotaInputError:
    text = str(exc)
    match = _AT.match(text)
    what = match.group("what") if match else text
    path = _path(match.group("path") or "") if match else ""
    named = _NAMED.search(what)
    if what.startswith("Object contains unknown field") and named:
        code, field_name = "unknown_field", named.group("name")
        message = f"unknown field {field_name!r}"
        path = f"{path}.{field_name}" if path else field_name
    elif what.startswith("Object missing required field") and named:
        code, field_name = "missing_field", named.group("name")
        message = f"the required field {field_name!r} is missing"
        path = f"{path}.{field_name}" if path else field_name
    elif isinstance(exc, msgspec.DecodeError) and not isinstance(exc, msgspec.ValidationError):
        code, message = "malformed_json", f"the input is not valid JSON ({what})"
    else:
        code, message = "wrong_type", what[0].lower() + what[1:] if what else "wrong type"
    if prefix:
        path = f"{prefix}.{path}" if path and not path.startswith("[") else f"{prefix}{path}"
    return RotaInputError(code, message, path)


def decode_bytes(raw: bytes) -> InputIn:
    try:
        return msgspec.json.decode(raw.removeprefix(b"\xef\xbb\xbf"), type=InputIn)
    except msgspec.DecodeError as exc:
        raise _from_msgspec(exc) from None


def decode_dict(data: Any) -> InputIn:
    if not isinstance(data, dict):
        raise RotaInputError("wrong_type", "the input must be a JSON object", "")
    try:
        return msgspec.convert(data, InputIn)
    except msgspec.ValidationError as exc:
        raise _from_msgspec(exc) from None


def decode_previous(previous: Any) -> PreviousIn:
    if isinstance(previous, bytes | str):
        try:
            return msgspec.json.decode(previous, type=PreviousIn)
        except msgspec.DecodeError as exc:
            raise _from_msgspec(exc, "previous") from None
    if not isinstance(previous, dict):
        raise RotaInputError("wrong_type", "the previous plan must be a JSON object", "previous")
    try:
        return msgspec.convert(previous, PreviousIn)
    except msgspec.ValidationError as exc:
        raise _from_msgspec(exc, "previous") from None


def _parse_day(text: str, where: str) -> dt.date:
    if not _ISO_DATE.fullmatch(text):
        raise RotaInputError("bad_date", f"{text!r} is not a date written as YYYY-MM-DD", where)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RotaInputError("bad_date", f"{text!r} is not a real date", where) from None


def _periods(dates: list[dt.date]) -> list[list[Period]]:
    n = len(dates)

    def make(groups: list[list[int]]) -> list[Period]:
        return [Period(tuple(g), sum(1 << d for d in g)) for g in groups]

    daily = [[d] for d in range(n)]
    weeks: list[list[int]] = []
    last: tuple[int, int] | None = None
    for d, date in enumerate(dates):
        week = date.isocalendar()[:2]
        if week != last:
            weeks.append([])
            last = week
        weeks[-1].append(d)
    fortnights = [list(range(i, min(i + FORTNIGHT, n))) for i in range(0, n, FORTNIGHT)]
    return [make(daily), make(weeks), make(weeks), make(fortnights)]


def _due(tier: int, open_count: int) -> int:
    if tier == TWICE_WEEKLY:
        return min(2, open_count)
    return min(1, open_count)


def build(spec: InputIn, previous: PreviousIn | None = None) -> Problem:
    """Check the references and ranges of a decoded request and index it."""
    if not 1 <= len(spec.days) <= MAX_DAYS:
        raise RotaInputError(
            "days_out_of_range",
            f"a plan covers 1 to {MAX_DAYS} school days; this one lists {len(spec.days)}",
            "days",
        )
    dates: list[dt.date] = []
    day_index: dict[str, int] = {}
    for i, text in enumerate(spec.days):
        date = _parse_day(text, f"days[{i}]")
        if dates and date <= dates[-1]:
            word = "repeats" if date == dates[-1] else "comes before"
            raise RotaInputError(
                "days_not_ascending",
                f"the days must be in ascending order without repeats: {text} {word} "
                f"{spec.days[i - 1]}",
                f"days[{i}]",
            )
        dates.append(date)
        day_index[text] = i
    all_days = (1 << len(dates)) - 1

    def days_mask(texts: list[str], where: str) -> int:
        mask = 0
        for j, text in enumerate(texts):
            d = day_index.get(text)
            if d is None:
                _parse_day(text, f"{where}[{j}]")
                raise RotaInputError(
                    "unknown_day", f"{text} is not one of the plan's days", f"{where}[{j}]"
                )
            mask |= 1 << d
        return mask

    school_index: dict[str, int] = {}

    def school(urn: str) -> int:
        s = school_index.get(urn)
        if s is None:
            s = school_index[urn] = len(school_index)
        return s

    staff_index: dict[str, int] = {}
    staff_schools: list[tuple[int, ...]] = []
    qualified: list[bool] = []
    cap: list[int] = []
    avail: list[int] = []
    for i, person in enumerate(spec.staff):
        where = f"staff[{i}]"
        if person.id in staff_index:
            raise RotaInputError(
                "duplicate_id", f"the staff id {person.id!r} is used twice", f"{where}.id"
            )
        staff_index[person.id] = i
        if not person.schools:
            raise RotaInputError(
                "no_schools",
                f"staff member {person.id!r} has no schools, so they cannot call any family",
                f"{where}.schools",
            )
        staff_schools.append(tuple(dict.fromkeys(school(urn) for urn in person.schools)))
        if not 0 <= person.calls_per_day <= MAX_CALLS_PER_DAY:
            raise RotaInputError(
                "out_of_range",
                f"calls_per_day must be a whole number from 0 to {MAX_CALLS_PER_DAY}, "
                f"not {person.calls_per_day}",
                f"{where}.calls_per_day",
            )
        qualified.append(person.qualified)
        cap.append(person.calls_per_day)
        avail.append(all_days if person.days is None else days_mask(person.days, f"{where}.days"))

    hh_index: dict[str, int] = {}
    pupil_ids: set[str] = set()
    hh_schools: list[tuple[int, ...]] = []
    hh_tier: list[int] = []
    hh_needq: list[bool] = []
    hh_avoid: list[int] = []
    hh_key: list[int] = []
    for i, household in enumerate(spec.households):
        where = f"households[{i}]"
        if household.id in hh_index:
            raise RotaInputError(
                "duplicate_id", f"the household id {household.id!r} is used twice", f"{where}.id"
            )
        hh_index[household.id] = i
        if not household.pupils:
            raise RotaInputError(
                "no_pupils", f"household {household.id!r} has no pupils", f"{where}.pupils"
            )
        tier = FORTNIGHTLY
        schools: dict[int, None] = {}
        for j, pupil in enumerate(household.pupils):
            if pupil.id in pupil_ids:
                raise RotaInputError(
                    "duplicate_id",
                    f"the pupil id {pupil.id!r} is used twice",
                    f"{where}.pupils[{j}].id",
                )
            pupil_ids.add(pupil.id)
            t = TIER_INDEX.get(pupil.tier)
            if t is None:
                raise RotaInputError(
                    "unknown_tier",
                    f"{pupil.tier!r} is not a contact tier; use one of {', '.join(TIERS)}",
                    f"{where}.pupils[{j}].tier",
                )
            tier = min(tier, t)
            schools[school(pupil.school)] = None
        key = -1
        if household.key_adult is not None:
            key = staff_index.get(household.key_adult, -1)
            if key < 0:
                raise RotaInputError(
                    "unknown_staff",
                    f"the key adult {household.key_adult!r} is not in the staff list",
                    f"{where}.key_adult",
                )
        hh_schools.append(tuple(schools))
        hh_tier.append(tier)
        hh_needq.append(tier != FORTNIGHTLY)
        avoid = household.avoid_days
        hh_avoid.append(days_mask(avoid, f"{where}.avoid_days") if avoid else 0)
        hh_key.append(key)

    tier_periods = _periods(dates)
    problem = Problem(
        days=list(spec.days),
        dates=dates,
        schools=list(school_index),
        staff_ids=list(staff_index),
        staff_schools=staff_schools,
        qualified=qualified,
        cap=cap,
        avail=avail,
        hh_ids=list(hh_index),
        hh_schools=hh_schools,
        hh_tier=hh_tier,
        hh_needq=hh_needq,
        hh_avoid=hh_avoid,
        hh_key=hh_key,
        tier_periods=tier_periods,
    )
    problem.hh_due = _dues(problem)
    problem.previous = _previous(problem, previous, hh_index, staff_index, day_index)
    return problem


def _dues(p: Problem) -> list[list[Due]]:
    cache: dict[tuple[int, int], list[Due]] = {}
    out = []
    for tier, avoid in zip(p.hh_tier, p.hh_avoid, strict=True):
        got = cache.get((tier, avoid))
        if got is None:
            got = []
            for k, period in enumerate(p.tier_periods[tier]):
                open_days = tuple(d for d in period.days if not (avoid >> d) & 1)
                due = _due(tier, len(open_days))
                if due:
                    got.append((k, open_days, period.mask & ~avoid, due))
            cache[(tier, avoid)] = got
        out.append(got)
    return out


def _previous(
    p: Problem,
    previous: PreviousIn | None,
    hh_index: dict[str, int],
    staff_index: dict[str, int],
    day_index: dict[str, int],
) -> list[dict[int, int]]:
    out: list[dict[int, int]] = [{} for _ in p.hh_ids]
    if previous is None:
        return out
    for call in previous.calls:
        # calls about households, staff or days no longer in the request are simply forgotten
        h = hh_index.get(call.household)
        s = staff_index.get(call.staff)
        d = day_index.get(call.day)
        if h is not None and s is not None and d is not None:
            out[h].setdefault(d, s)
    return out


def tier_periods(days: list[str], tier: str) -> list[tuple[list[str], int]]:
    """The contract's periods of ``days`` (ISO dates in order) for ``tier``, each with the calls
    due in it when every day is open: for a caller outside the planner (the welfare app working
    out what another rota has already covered)."""
    dates = [dt.date.fromisoformat(day) for day in days]
    index = TIER_INDEX[tier]
    return [
        ([days[d] for d in period.days], _due(index, len(period.days)))
        for period in _periods(dates)[index]
    ]
