"""Compiling conditions: atoms, the sources they read, and the keys of those sources.

Every distinct condition in a protocol becomes one *atom*, a bit in an integer. Each atom is a
predicate over one *source*:

- a request field with a closed vocabulary (:data:`ENUM_FIELDS`, :data:`FLAG_FIELDS`) or a flag
  derived from several fields (:data:`DERIVED_FLAGS`): the engine tabulates the bits of every
  possible value at load time;
- a *keyed* source (the staff on the call, a summary of the pupils, the call's local timing)
  whose key is computed per request and whose bits are cached per key.

The field lists here are the only place a request field is named for compilation: the tables of
:mod:`chaperone.rules.compiled` and the code that reads a request are generated from them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from .vocab import (
    CONSENT_RANK,
    CONSENTS,
    HOLDERS,
    KINDS,
    PLATFORMS,
    PUPIL_LOCATIONS,
    PURPOSES,
    STAFF_LOCATIONS,
    WEEKDAYS,
)

if TYPE_CHECKING:
    from .request import ContactRequest

#: Conditions that compare one request field with a list of values, and the field's vocabulary.
ENUM_FIELDS: dict[str, tuple[str, ...]] = {
    "kind": KINDS,
    "purpose": PURPOSES,
    "platform": PLATFORMS,
    "account": HOLDERS,
    "device": HOLDERS,
    "staff_location": STAFF_LOCATIONS,
    "pupil_location": PUPIL_LOCATIONS,
    "parental_consent": CONSENTS,
}
#: Conditions that compare one boolean request field with true or false.
FLAG_FIELDS: tuple[str, ...] = (
    "parent_present",
    "chaperone_present",
    "pupil_home_alone",
    "second_staff_invited",
    "dsl_invited",
    "recording",
    "slt_approved",
    "risk_assessed",
    "on_dsl_timetable",
    "linked_to_plan",
    "waiting_room",
    "parents_informed",
    "emergency",
)
#: Boolean conditions derived from several fields: a Python expression over ``{field}`` reads.
DERIVED_FLAGS: dict[str, str] = {
    # A parent in the room, a second staff member invited, or two or more staff on the call.
    "second_adult": "{parent_present} or {second_staff_invited} or len({staff}) > 1",
    # A parent in the room or a chaperone at the pupil's home.
    "home_adult": "{parent_present} or {chaperone_present}",
}
#: Conditions read from a tabulated source other than their own name.
_TABULATED_VIA = {"platform_approved": "platform", "consent_at_least": "parental_consent"}
#: Conditions read from a keyed source.
KEYED_SOURCE = {
    "staff_role": "staff",
    "second_staff_role": "staff",
    "youngest_under": "pupils",
    "pupils_at_least": "pupils",
    "any_pupil_vulnerable": "pupils",
    "any_pupil_has_ehcp": "pupils",
    "weekday": "time",
    "within_window": "time",
}
KEYED_SOURCES = ("staff", "pupils", "time")


def source_of(name: str) -> str:
    """The source condition ``name`` reads (a field, a derived flag or a keyed source)."""
    if name in ENUM_FIELDS or name in DERIVED_FLAGS or name in FLAG_FIELDS:
        return name
    return _TABULATED_VIA.get(name) or KEYED_SOURCE[name]


def domain(source: str) -> tuple[Any, ...]:
    """Every value a tabulated source can take."""
    return ENUM_FIELDS.get(source) or (False, True)


class StaffKey(NamedTuple):
    roles: tuple[str, ...]  # sorted roles of the staff on the call
    invited: str | None  # role of the invited second staff member, if one is invited


class PupilsKey(NamedTuple):
    youngest: int
    number: int  # how many pupils
    any_vulnerable: bool
    any_ehcp: bool


class TimeKey(NamedTuple):
    weekday: int  # Monday = 0, local time at the start
    start_s: int  # local second of the day at the start
    end_s: int  # local second of the day at the end
    same_day: bool  # the call ends on the day it starts


# Keys are built with ``tuple.__new__``: a NamedTuple's own constructor runs Python code, and keys
# are built for every request.
_new = tuple.__new__
_role = attrgetter("role")
_age = attrgetter("age")
_vulnerable = attrgetter("vulnerable")
_ehcp = attrgetter("has_ehcp")


# The cache keys of the staff and pupils sources are the plain tuples of their NamedTuples (equal,
# with equal hashes): building a NamedTuple costs more than the lookup, and only a cache miss needs
# one (:func:`tested_key`).


def staff_key(r: ContactRequest) -> tuple[tuple[str, ...], str | None]:
    """The fields of the request's :class:`StaffKey`."""
    invited = r.second_staff_role if r.second_staff_invited else None
    staff = r.staff
    if len(staff) == 1:
        return ((staff[0].role,), invited)
    return (tuple(sorted(map(_role, staff))), invited)


class PupilList(list):  # type: ignore[type-arg]
    """A parsed request's pupils as the request reader read them from the JSON in one pass (the
    native reader, ADR 0007), with their summary, :func:`pupils_key`'s fields, in ``key``.

    Any change to the list drops ``key``, so the engine works the summary out from the pupils
    again; a copy or a pickle of it is a plain list. Only the native reader makes one."""

    __slots__ = ("key",)
    key: tuple[int, int, bool, bool] | None

    def __reduce__(self) -> tuple[type[list[Any]], tuple[list[Any]]]:
        return list, (list(self),)


def _dropping_key(name: str) -> Callable[..., Any]:
    change = getattr(list, name)

    def changed(self: PupilList, *args: Any) -> Any:
        self.key = None
        return change(self, *args)

    changed.__name__ = changed.__qualname__ = name
    return changed


for _name in (
    *("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"),
    *("__setitem__", "__delitem__", "__iadd__", "__imul__"),
):
    setattr(PupilList, _name, _dropping_key(_name))


def pupils_key(r: ContactRequest) -> tuple[int, int, bool, bool]:
    """The fields of the request's :class:`PupilsKey`."""
    pupils = r.pupils
    if len(pupils) == 1:
        p = pupils[0]
        return (p.age, 1, p.vulnerable, p.has_ehcp)
    return (
        min(map(_age, pupils)),
        len(pupils),
        any(map(_vulnerable, pupils)),
        any(map(_ehcp, pupils)),
    )


#: :func:`staff_key` and :func:`pupils_key` as lines of code setting ``k`` from a request ``r``
#: (``x`` is scratch), for the generated readers to inline: a call costs more than either key.
#: ``tests/rules/test_oracle.py`` holds them equal to the functions.
KEY_CODE: dict[str, tuple[str, ...]] = {
    "staff": (
        "x = r.staff",
        "k = ((x[0].role,) if len(x) == 1 else tuple(sorted(map(_role, x))),"
        " r.second_staff_role if r.second_staff_invited else None)",
    ),
    "pupils": (
        "x = r.pupils",
        "if len(x) == 1:",
        "    x = x[0]",
        "    k = (x.age, 1, x.vulnerable, x.has_ehcp)",
        "else:",
        "    k = (min(map(_age, x)), len(x), any(map(_vulnerable, x)), any(map(_ehcp, x)))",
    ),
}
#: The same for a parsed :class:`~.request.ContactRequest`, whose fields the reader takes from
#: the model's ``__dict__`` (``d``, set before these lines): pydantic's models define
#: ``__getattr__``, which makes every attribute read go through a slower lookup (about twice as
#: long as a dict subscript, measured). The pupils and staff are models too.
MODEL_KEY_CODE: dict[str, tuple[str, ...]] = {
    "staff": (
        "x = d['staff']",
        "k = ((x[0].role,) if len(x) == 1 else tuple(sorted(map(_role, x))),"
        " d['second_staff_role'] if d['second_staff_invited'] else None)",
    ),
    "pupils": (
        "x = d['pupils']",
        "k = x.key if x.__class__ is _PupilList else None",  # (summed up as they were read)
        "if k is None:",
        "    if len(x) == 1:",
        "        x = x[0].__dict__",
        "        k = (x['age'], 1, x['vulnerable'], x['has_ehcp'])",
        "    else:",
        "        k = (min(map(_age, x)), len(x), any(map(_vulnerable, x)), any(map(_ehcp, x)))",
    ),
}
#: The POSIX second of each start time the request reader keeps for good (its cache of parsed
#: start times, which never lets one go), by the datetime's ``id()``: a kept datetime is never
#: freed, so no other object can ever have its id. The in-process reader looks a request's start
#: up here before converting it (``int(at.timestamp())``, about 0.5 us for pydantic's zone).
KEPT_STARTS: dict[int, int] = {}
#: The names :data:`KEY_CODE` and :data:`MODEL_KEY_CODE` read.
KEY_NAMES: dict[str, Any] = {
    "_role": _role,
    "_age": _age,
    "_vulnerable": _vulnerable,
    "_ehcp": _ehcp,
    "_PupilList": PupilList,
}


_DAY = 86_400
_SPAN = 1 << 25  # about a year: a zone's offset changes are tabulated per span of UTC time
_STEP = 6 * 3600  # offset changes are looked for every six hours, then found to the second
#: The instants ``datetime`` can show in any zone (a day inside its range of years 1 to 9999).
_FIRST_TS, _LAST_TS = -62_135_596_800 + _DAY, 253_402_300_799 - _DAY


class ZoneTable:
    """A zone's UTC offsets by table lookup: :meth:`offset` of an instant, :meth:`steady` over a
    stretch of time.

    The first time a span of UTC time is needed, the zone is asked for its offset every six hours
    across it and each change is found to the second; later lookups bisect that table. (Zones
    change their offset a few times a year at most, never twice within six hours.)
    """

    __slots__ = ("spans", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.spans: dict[int, tuple[list[int], list[int]]] = {}

    def span(self, span: int) -> tuple[list[int], list[int]]:
        """The offset changes within span ``span``: their instants (the span's start first) and
        the offsets from them on."""
        found = self.spans.get(span)
        if found is not None:
            return found
        tz = self.tz
        start = span * _SPAN
        starts, values = [start], [_utcoffset(tz, start)]
        for t in range(start + _STEP, start + _SPAN, _STEP):
            value = _utcoffset(tz, t)
            if value != values[-1]:
                lo, hi = t - _STEP, t  # the change lies in (lo, hi]
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if _utcoffset(tz, mid) == values[-1] else (lo, mid)
                starts.append(hi)
                values.append(value)
        found = (starts, values)
        if len(self.spans) < 1 << 12:
            self.spans[span] = found
        return found

    def offset(self, ts: int) -> int:
        starts, values = self.spans.get(ts // _SPAN) or self.span(ts // _SPAN)
        return values[bisect_right(starts, ts) - 1]

    def steady(self, first: int, last: int) -> int | None:
        """The offset at every instant from ``first`` to ``last`` (inclusive) if it is the same
        throughout, else None."""
        value = self.offset(first)
        for span in range(first // _SPAN, last // _SPAN + 1):
            starts, values = self.span(span)
            for at, other in zip(starts, values, strict=True):
                if first < at <= last and other != value:
                    return None
        return value


@cache
def zone_table(tz: ZoneInfo) -> ZoneTable:
    """The (shared) :class:`ZoneTable` of ``tz``."""
    return ZoneTable(tz)


def zone_offsets(tz: ZoneInfo) -> Callable[[int], int]:
    """``timestamp -> UTC offset in seconds`` of ``tz``, by table lookup (:class:`ZoneTable`)."""
    return zone_table(tz).offset


#: Beyond every window's end (a local end of day is below ``_DAY``).
_NO_END = 1 << 30


def time_deriver(
    tz: ZoneInfo,
    windows: Mapping[str, CompiledWindow],
    steady: dict[int, int | None] | None = None,
) -> Callable[[tuple[datetime | int, int]], tuple[int, int, int, bool]]:
    """``(start, minutes) -> the fields of the call's local TimeKey``, coarsened to window edges.

    ``start`` is an aware datetime or a POSIX timestamp. Local times come from the zone's UTC
    offset at the start and at the end of the call, so a call spanning a summer-time change is
    judged correctly. Atoms compare a call's start only with window starts (``start <= start_s``)
    and its end only with window ends (``end_s <= end``), so the start is replaced by the latest
    window start at or before it (-1 if none) and the end by the earliest window end at or after
    it (``_NO_END`` if none): no atom changes, and the many times of day of real calls fall into
    a few keys (the cache of derived keys stays small and warm).

    ``steady`` (filled here) maps a UTC day (POSIX seconds // 86,400) to the zone's offset if
    it holds from that day's start to the next day's end, else None: every call of at most a
    day that starts on such a day has that one offset at its start and at its end.
    """
    table = zone_table(tz)
    offset = table.offset
    starts = sorted({w.start_s for w in windows.values()})
    ends = sorted({w.end_s for w in windows.values()})
    last = len(ends)
    if steady is None:
        steady = {}
    #: (local second of the day at the start, minutes, weekday) -> the coarsened fields.
    by_local: dict[tuple[int, int, int], tuple[int, int, int, bool]] = {}

    def coarse(local_start: int, local_end: int) -> tuple[int, int, int, bool]:
        day = local_start // _DAY
        i = bisect_right(starts, local_start - day * _DAY)
        j = bisect_left(ends, local_end % _DAY)
        return (
            (day + 3) % 7,  # 1970-01-01 was a Thursday
            starts[i - 1] if i else -1,
            ends[j] if j < last else _NO_END,
            local_end // _DAY == day,
        )

    def derive(key: tuple[datetime | int, int]) -> tuple[int, int, int, bool]:
        start, minutes = key
        if not isinstance(start, int):
            start = int(start.timestamp())
        utc_day = start // _DAY
        if utc_day in steady:
            held = steady[utc_day]
        else:
            held = table.steady(utc_day * _DAY, (utc_day + 2) * _DAY - 1)
            if len(steady) < 1 << 16:
                steady[utc_day] = held
        if held is None or minutes > 1440:  # the offset may change: ask at the start and end
            end = start + minutes * 60
            return coarse(start + offset(start), end + offset(end))
        # One offset for the whole call (it ends within a day of its start): the fields
        # depend only on the local second of the day it starts, its length and the weekday.
        local_start = start + held
        day = local_start // _DAY
        local = (local_start - day * _DAY, minutes, (day + 3) % 7)
        found = by_local.get(local)
        if found is None:
            found = coarse(local_start, local_start + minutes * 60)
            if len(by_local) < 1 << 16:
                by_local[local] = found
        return found

    return derive


def _utcoffset(tz: ZoneInfo, ts: int) -> int:
    # Beyond datetime's years the zone's offset at the edge stands in (no call is that far off).
    delta = datetime.fromtimestamp(min(max(ts, _FIRST_TS), _LAST_TS), tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def tested_key(source: str) -> Callable[[Any], Any]:
    """The key the atoms of a keyed source test: its NamedTuple, from the cache key's fields."""
    kind = {"staff": StaffKey, "pupils": PupilsKey, "time": TimeKey}[source]
    return lambda fields: _new(kind, fields)


class CompiledWindow:
    """A named window as seconds of the day and a set of weekday numbers (Monday = 0)."""

    __slots__ = ("days", "end_s", "start_s")

    def __init__(self, start_s: int, end_s: int, days: frozenset[int]) -> None:
        self.start_s = start_s
        self.end_s = end_s
        self.days = days

    def contains(self, key: TimeKey) -> bool:
        return bool(
            key.same_day
            and key.weekday in self.days
            and self.start_s <= key.start_s
            and key.end_s <= self.end_s
        )


def _seconds(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def compile_windows(windows: Mapping[str, Mapping[str, Any]]) -> dict[str, CompiledWindow]:
    """A protocol's named windows (as in its spec: ``start``, ``end``, ``days``), compiled for
    :meth:`CompiledWindow.contains`."""
    return {
        name: CompiledWindow(
            _seconds(w["start"]),
            _seconds(w["end"]),
            frozenset(WEEKDAYS.index(d) for d in w["days"]),
        )
        for name, w in windows.items()
    }


Predicate = Callable[[Any], bool]


def atom_predicate(
    name: str, value: Any, windows: Mapping[str, CompiledWindow], approved: frozenset[str]
) -> Predicate:
    """The predicate of condition ``name = value`` over its source's value or key."""
    if name in FLAG_FIELDS or name in DERIVED_FLAGS:
        expected = bool(value)
        return lambda k: bool(k) is expected
    if name in ENUM_FIELDS:
        allowed = frozenset(value)
        return lambda k: k in allowed
    if name == "platform_approved":
        expected = bool(value)
        return lambda k: (k in approved) is expected
    if name == "consent_at_least":
        rank = CONSENT_RANK[value]
        return lambda k: CONSENT_RANK[k] >= rank
    if name == "staff_role":
        roles = frozenset(value)
        return lambda k: not roles.isdisjoint(k.roles)
    if name == "second_staff_role":
        roles = frozenset(value)
        return lambda k: k.invited in roles or (len(k.roles) >= 2 and not roles.isdisjoint(k.roles))
    if name == "youngest_under":
        limit = int(value)
        return lambda k: k.youngest < limit
    if name == "pupils_at_least":
        least = int(value)
        return lambda k: k.number >= least
    if name == "any_pupil_vulnerable":
        expected = bool(value)
        return lambda k: k.any_vulnerable is expected
    if name == "any_pupil_has_ehcp":
        expected = bool(value)
        return lambda k: k.any_ehcp is expected
    if name == "weekday":
        days = frozenset(WEEKDAYS.index(d) for d in value)
        return lambda k: k.weekday in days
    if name == "within_window":
        spans = tuple(windows[w] for w in value)
        return lambda k: any(w.contains(k) for w in spans)
    raise KeyError(name)  # pragma: no cover - Conditions forbids unknown names


def atom_id(name: str, value: Any) -> tuple[str, Any]:
    """A hashable identity for a condition, so equal conditions share one bit."""
    return (name, tuple(value) if isinstance(value, list) else value)
