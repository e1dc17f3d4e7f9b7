"""A fast, strict path for parsing request JSON text: exact answers for common texts, or none.

:func:`fast_request` reads the JSON text of a request laid out as ``json.dumps`` lays it out
(``", "`` and ``": "`` between members; or compact, ``","`` and ``":"``) from a few string
operations and dictionary lookups, and returns the same :class:`~.request.ContactRequest`
pydantic would build, or ``None`` whenever it is not certain: any backslash, another layout,
an unknown or duplicated key, a value of the wrong type or out of range, a start time written in
any other way than ``YYYY-MM-DDTHH:MM:SS`` with ``Z`` or ``±HH:MM``, a missing required field, a
contradictory combination. On ``None`` the caller parses with pydantic, so every error is
pydantic's, word for word.

How a text is read (the layout below is the default one; the compact one differs only in spaces):

1. The text, without surrounding JSON whitespace, must be ``{"`` ... ``}`` and hold no backslash
   (so every ``"`` opens or closes a string, and no string hides a quote or an escape).
2. The pupils array, found by its one occurrence of ``"pupils": [{`` and the first ``}]`` after
   it, is cut out and split at ``}, {`` into the bodies of its objects. Each body must be one
   already known to be a valid pupil (a dictionary from body text to the frozen
   :class:`~.request.Pupil` pydantic built for it); a body seen for the first time is parsed
   with the standard library, checked and, when valid, handed to pydantic and remembered.
3. What remains (with ``"pupils": []`` in place of the array) is split at ``, "`` into member
   texts, each looked up the same way in a dictionary of member text to ``(field, value)``.
4. The text is therefore exactly a JSON object made of valid members joined by valid
   separators, which is what ``json.loads`` and pydantic read; the model is built from the
   members and the defaults without validating again.

Every remembered text was checked once, by exact types (``True`` is not ``1``, ``10.0`` is not
``10``) and by pydantic itself for nested objects, so a lookup can never accept a text the slow
path would refuse or read differently. The dictionaries are bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from pydantic_core import TzInfo

from .request import ContactRequest, Pupil, StaffMember
from .vocab import (
    CONSENTS,
    HOLDERS,
    KINDS,
    PLATFORMS,
    PUPIL_LOCATIONS,
    PURPOSES,
    ROLES,
    STAFF_LOCATIONS,
)

#: Entries kept per dictionary; beyond it, new texts are checked every time but not kept.
_MAX_KEPT = 1 << 15

_ENUMS: dict[str, frozenset[str]] = {
    "kind": frozenset(KINDS),
    "purpose": frozenset(PURPOSES),
    "platform": frozenset(PLATFORMS),
    "account": frozenset(HOLDERS),
    "device": frozenset(HOLDERS),
    "staff_location": frozenset(STAFF_LOCATIONS),
    "parental_consent": frozenset(CONSENTS),
    "pupil_location": frozenset(PUPIL_LOCATIONS),
}
_ROLES = frozenset(ROLES)
_FLAGS = frozenset(
    name for name, info in ContactRequest.model_fields.items() if type(info.default) is bool
)
_FIELDS = tuple(ContactRequest.model_fields)
_REQUIRED = frozenset(
    name for name, info in ContactRequest.model_fields.items() if info.is_required()
)
#: Field values before the request's own: every default (required fields: a placeholder).
_DEFAULTS: dict[str, Any] = {
    name: None if info.is_required() else info.default
    for name, info in ContactRequest.model_fields.items()
}
_PUPIL_KEYS = frozenset(Pupil.model_fields)

#: ``YYYY-MM-DDTHH:MM:SS`` then ``Z`` or ``±HH:MM``: a subset of what pydantic reads, with
#: years 1000-2999 and offsets under 20 hours, far from any edge of ``datetime``.
_AT = re.compile(
    r"([12][0-9]{3})-([01][0-9])-([0-3][0-9])T([0-2][0-9]):([0-5][0-9]):([0-5][0-9])"
    r"(?:Z|([+-])([01][0-9]):([0-5][0-9]))"
)
#: Marks, in a member dictionary, the pupils array cut out of the text (step 2).
_CUT = object()
_BAD = object()


class _Duplicate(Exception):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def _loads(text: str) -> Any:
    """The standard library's reading of ``text``, or ``_BAD`` (not JSON, duplicate keys)."""
    try:
        return json.loads(text, object_pairs_hook=_object)
    except (ValueError, RecursionError, _Duplicate):
        return _BAD


def _flag(value: Any) -> Any:
    return value if value is True or value is False else _BAD


def _start(value: Any) -> Any:
    if type(value) is not str:
        return _BAD
    m = _AT.fullmatch(value)
    if m is None:
        return _BAD
    year, month, day, hour, minute, second, sign, oh, om = m.groups()
    offset = 0 if sign is None else (int(oh) * 3600 + int(om) * 60) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=TzInfo(offset),
        )
    except ValueError:
        return _BAD


def _staff(value: Any) -> Any:
    if type(value) is not list or not value:
        return _BAD
    out = []
    for item in value:
        if type(item) is not dict or item.keys() != {"role"}:
            return _BAD
        role = item["role"]
        if type(role) is not str or role not in _ROLES:
            return _BAD
        out.append(StaffMember.model_validate_json(json.dumps(item)))
    return tuple(out)


def _pupil(item: Any) -> Any:
    if type(item) is not dict or "age" not in item or not item.keys() <= _PUPIL_KEYS:
        return _BAD
    age = item["age"]
    if type(age) is not int or not 2 <= age <= 25:
        return _BAD
    if any(_flag(v) is _BAD for k, v in item.items() if k != "age"):
        return _BAD
    # The instance pydantic itself builds for this object; frozen, so requests can share it.
    return Pupil.model_validate_json(json.dumps(item))


def _pupils(value: Any) -> Any:
    if type(value) is not list or not value:
        return _BAD
    out = tuple(_pupil(item) for item in value)
    return _BAD if _BAD in out else out


def _value(name: str, value: Any) -> Any:
    """``value`` if it is valid for field ``name`` (staff, pupils: a tuple of models), or _BAD."""
    if name in _FLAGS:
        return _flag(value)
    allowed = _ENUMS.get(name)
    if allowed is not None:
        return value if type(value) is str and value in allowed else _BAD
    if name == "at":
        return _start(value)
    if name == "duration_minutes":
        return value if type(value) is int and 1 <= value <= 480 else _BAD
    if name == "second_staff_role":
        return value if value is None or (type(value) is str and value in _ROLES) else _BAD
    if name == "staff":
        return _staff(value)
    if name == "pupils":
        return _pupils(value)
    return _BAD


class _Layout:
    """The separators of one layout and the texts known valid in it."""

    __slots__ = ("at", "cut", "members", "next_member", "next_pupil", "pupils", "pupils_at")

    def __init__(self, comma: str, colon: str) -> None:
        self.next_member = f'{comma}"'  # between members: the next one's opening quote included
        self.next_pupil = f"}}{comma}{{"
        self.pupils_at = f'"pupils"{colon}[{{'
        self.cut = f'pupils"{colon}[]'
        self.at = f'at"{colon}"'
        self.members: dict[str, tuple[str, Any]] = {self.cut: ("pupils", _CUT)}
        self.pupils: dict[str, Pupil] = {}

    def member(self, text: str) -> tuple[str, Any] | None:
        """The field and value of member text ``text`` (its opening quote left off), if valid."""
        found = self.members.get(text)
        if found is not None:
            return found
        if text.startswith(self.at) and text.endswith('"'):
            # The start time, different in nearly every request: read without json.loads
            # (what _start accepts holds no quote, so the text is one string member).
            name, value = "at", _start(text[len(self.at) : -1])
        else:
            parsed = _loads('{"' + text + "}")
            if type(parsed) is not dict or len(parsed) != 1:
                return None
            ((name, value),) = parsed.items()
            if name not in _DEFAULTS:
                return None
            value = _value(name, value)
        if value is _BAD:
            return None
        if len(self.members) < _MAX_KEPT:
            self.members[text] = (name, value)
        return name, value

    def pupil(self, body: str) -> Pupil | None:
        found = self.pupils.get(body)
        if found is not None:
            return found
        pupil = _pupil(_loads("{" + body + "}"))
        if pupil is _BAD:
            return None
        if len(self.pupils) < _MAX_KEPT:
            self.pupils[body] = pupil
        return pupil  # type: ignore[no-any-return]


_SPACED = _Layout(", ", ": ")
_COMPACT = _Layout(",", ":")
_new = object.__new__
_set = object.__setattr__


def fast_request(text: str) -> ContactRequest | None:
    """The request ``text`` describes, exactly as pydantic reads it; None if not certain."""
    s = text.strip(" \t\n\r")
    if s[:2] != '{"' or s[-1:] != "}" or "\\" in s:
        return None
    layout = _SPACED if '": ' in s else _COMPACT
    pupils: list[Pupil] | None = None
    cut = s.find(layout.pupils_at)
    if cut >= 0:
        if s.count('"pupils"') != 1:
            return None
        start = cut + len(layout.pupils_at)
        end = s.find("}]", start)
        if end < 0:
            return None
        bodies = s[start:end].split(layout.next_pupil)
        known_pupil: Callable[[str], Pupil | None] = layout.pupils.get
        found = list(map(known_pupil, bodies))
        if not all(found):  # (not "None in": that would call pydantic's __eq__ per pupil)
            found = [p or layout.pupil(b) for p, b in zip(found, bodies, strict=True)]
            if not all(found):
                return None
        pupils = cast(list[Pupil], found)
        s = s[: start - 1] + s[end + 1 :]
    texts = s[2:-1].split(layout.next_member)
    known_member: Callable[[str], tuple[str, Any] | None] = layout.members.get
    members = list(map(known_member, texts))
    if None in members:  # (members are tuples: comparing them with None is cheap)
        members = [m or layout.member(t) for m, t in zip(members, texts, strict=True)]
        if None in members:
            return None
    values = dict(cast(list[tuple[str, Any]], members))
    if len(values) != len(members) or not values.keys() >= _REQUIRED:
        return None
    if pupils is None:
        if values["pupils"] is _CUT:  # a text of its own reading "pupils": [], not a cut
            return None
        pupils = list(values["pupils"])
    elif values["pupils"] is not _CUT:
        return None
    if values["kind"] == "one_to_one" and len(pupils) > 1:
        return None
    if values.get("pupil_home_alone") is True and values.get("parent_present") is True:
        return None
    full = _DEFAULTS.copy()
    full.update(values)
    full["staff"] = list(full["staff"])
    full["pupils"] = pupils
    request = _new(ContactRequest)
    _set(request, "__dict__", full)
    _set(request, "__pydantic_fields_set__", set(values))
    _set(request, "__pydantic_extra__", None)
    _set(request, "__pydantic_private__", None)
    return request
