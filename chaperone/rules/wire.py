"""Reading request JSON with msgspec: exactly pydantic's request for valid texts, or none.

:func:`wire_request` decodes a request's JSON text with a compiled msgspec decoder straight into
:class:`WireRequest` (a ``msgspec.Struct`` mirroring :class:`~.request.ContactRequest`: the same
fields, closed vocabularies, ranges and strict types; no unknown fields), then builds the very
:class:`~.request.ContactRequest` pydantic would build, without validating again. It returns
``None`` whenever it is not certain: any decode or validation error, a start time written other
than ``YYYY-MM-DDTHH:MM:SS`` with ``Z`` or ``±HH:MM``, a contradictory combination. On ``None``
the caller parses with pydantic, so every error message is pydantic's, word for word, and
pydantic's model stays the schema of record (ADR 0005).

msgspec is never more lenient than the model here: it reads booleans and integers strictly (no
``1`` for ``true``, no ``10.0`` for ``10``), strings only as strings, and takes the last of a
duplicated key as pydantic does. Absent optional fields decode as ``UNSET``, so the request's
``model_fields_set`` is exactly the fields the text gives. Staff members and pupils are the
frozen instances pydantic built for the same object (remembered per value, a bounded few).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from pydantic_core import TzInfo

from .atoms import KEPT_STARTS, PupilList
from .bulkwire import _AT, WireStaff
from .bulkwire import BulkPupil as BulkPupil  # (re-exported: the bulk path's structs)
from .bulkwire import BulkRequest as BulkRequest
from .bulkwire import bulk_request as bulk_request
from .bulkwire import posix_of as posix_of
from .request import ContactRequest, Pupil, StaffMember
from .vocab import Consent, Holder, Kind, Platform, PupilLocation, Purpose, Role, StaffLocation

#: Entries kept per dictionary; beyond it, new values are built every time but not kept.
_MAX_KEPT = 1 << 15

_Flag = bool | UnsetType


class WirePupil(Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    age: Annotated[int, Meta(ge=2, le=25)]
    vulnerable: _Flag = UNSET
    has_ehcp: _Flag = UNSET


class WireRequest(Struct, forbid_unknown_fields=True, kw_only=True, gc=False):
    """The request as decoded; ``UNSET`` marks an optional field the text leaves out.

    The fields are in the model's order (``kw_only`` lets required fields follow optional
    ones), so ``asdict`` gives the model's ``__dict__`` in its own order.
    """

    at: str
    duration_minutes: Annotated[int, Meta(ge=1, le=480)] | UnsetType = UNSET
    kind: Kind
    purpose: Purpose
    platform: Platform
    account: Holder | UnsetType = UNSET
    device: Holder | UnsetType = UNSET
    staff_location: StaffLocation | UnsetType = UNSET
    emergency: _Flag = UNSET
    staff: Annotated[list[WireStaff], Meta(min_length=1)]
    #: The array's JSON text, read by :func:`read_pupils` (its type is :data:`WirePupils`).
    pupils: msgspec.Raw
    parent_present: _Flag = UNSET
    chaperone_present: _Flag = UNSET
    pupil_home_alone: _Flag = UNSET
    second_staff_invited: _Flag = UNSET
    second_staff_role: Role | UnsetType | None = UNSET
    dsl_invited: _Flag = UNSET
    recording: _Flag = UNSET
    parental_consent: Consent | UnsetType = UNSET
    slt_approved: _Flag = UNSET
    risk_assessed: _Flag = UNSET
    on_dsl_timetable: _Flag = UNSET
    linked_to_plan: _Flag = UNSET
    waiting_room: _Flag = UNSET
    pupil_location: PupilLocation | UnsetType = UNSET
    parents_informed: _Flag = UNSET


_decode = msgspec.json.Decoder(WireRequest).decode
#: What :attr:`WireRequest.pupils` holds.
WirePupils = Annotated[list[WirePupil], Meta(min_length=1)]
_decode_pupils = msgspec.json.Decoder(WirePupils).decode

_match_at = _AT.fullmatch
_naive = datetime.fromisoformat
_zones: dict[str, TzInfo] = {}
_starts: dict[str, datetime] = {}


def _zone(tail: str) -> TzInfo:
    """pydantic's time zone for offset ``Z`` or ``±HH:MM``."""
    zone = _zones.get(tail)
    if zone is None:
        seconds = 0 if tail == "Z" else int(tail[1:3]) * 3600 + int(tail[4:6]) * 60
        zone = _zones[tail] = TzInfo(-seconds if tail[0] == "-" else seconds)
    return zone


def start_of(text: str) -> datetime | None:
    """The aware start time pydantic reads from ``text``, or None if not in the strict form."""
    found = _starts.get(text)
    if found is not None:
        return found
    if _match_at(text) is None:
        return None
    try:  # (the form is checked; the calendar is not: 2026-02-30 is refused here)
        found = _naive(text[:19]).replace(tzinfo=_zone(text[19:]))
    except ValueError:
        return None
    if len(_starts) < _MAX_KEPT:
        _starts[text] = found
        KEPT_STARTS[id(found)] = int(found.timestamp())  # (found is now kept for good)
    return found


_staff_models: dict[WireStaff, StaffMember] = {}
_known_staff = _staff_models.__getitem__
_pupil_models: dict[WirePupil, Pupil] = {}
_known_pupil = _pupil_models.__getitem__
_encode = msgspec.json.encode


def _staff_model(wire: WireStaff) -> StaffMember:
    model = StaffMember.model_validate_json(_encode(wire))
    if len(_staff_models) < _MAX_KEPT:
        model = _staff_models.setdefault(wire, model)
    return model


def _pupil_model(wire: WirePupil) -> Pupil:
    # The encoding leaves UNSET fields out: pydantic sees exactly the fields the text gave.
    model = Pupil.model_validate_json(_encode(wire))
    if len(_pupil_models) < _MAX_KEPT:
        model = _pupil_models.setdefault(wire, model)
    return model


try:  # the native reading of a pupils array (ADR 0007); without it, msgspec's alone
    from ._native import SLOTS, fields_of
    from ._native import read_pupils as _read_native
except ImportError:  # pragma: no cover - built wherever a C compiler was at install time
    _read_native = fields_of = None
    SLOTS = 216

#: The shared pupil models by (age - 2) * 9 + vulnerable * 3 + has_ehcp, each flag 0 (left
#: out), 1 (false) or 2 (true): every pupil a request can give. Made on first use.
_table: list[Pupil] | None = None
_FLAG_STATES = (UNSET, False, True)


def _pupil_table() -> list[Pupil]:
    global _table
    if _table is None:
        # (Two threads may both build it: the same models, as _pupil_model keeps the first.)
        table = [
            _pupil_model(WirePupil(age, vulnerable, ehcp))
            for age in range(2, 26)
            for vulnerable in _FLAG_STATES
            for ehcp in _FLAG_STATES
        ]
        assert len(table) == SLOTS
        _table = table
    return _table


def read_pupils(raw: msgspec.Raw | bytes) -> list[Pupil] | None:
    """The pupils of a request's pupils array (its JSON text), as the shared models pydantic
    built for the same objects; None if msgspec is not certain of them (the caller then leaves
    the whole request to pydantic). Natively, in one pass over the bytes, where the array is in
    the simple form (ADR 0007): then a :class:`~.atoms.PupilList` carrying their summary."""
    if _read_native is not None:
        found: list[Pupil] | None = _read_native(raw, _table or _pupil_table(), PupilList)
        if found is not None:
            return found
    try:
        pupils = _decode_pupils(raw)
    except ValueError:
        return None
    return _shared(pupils, _known_pupil, _pupil_models, _pupil_model)


def _shared(wires: list[Any], known: Any, kept: dict[Any, Any], build: Any) -> list[Any]:
    """The shared model of each struct of ``wires``: ``known`` (``kept.__getitem__``) for all of
    them at once when each was seen before (no test per entry of what the lookup found), else
    ``build`` for those not kept yet."""
    try:
        return list(map(known, wires))
    except KeyError:
        return [kept.get(w) or build(w) for w in wires]


_FIELDS = tuple(ContactRequest.model_fields)
_ALL = frozenset(_FIELDS)
_DEFAULTS = {
    name: info.default
    for name, info in ContactRequest.model_fields.items()
    if not info.is_required()
}
_asdict = msgspec.structs.asdict
_astuple = msgspec.structs.astuple


def _values(wire: WireRequest) -> tuple[dict[str, Any], set[str]]:
    """The model's field values, in its order, and the fields the text gave."""
    if fields_of is not None:  # every field given (the common case): one native step
        found: dict[str, Any] | None = fields_of(_FIELDS, _astuple(wire), UNSET)
        if found is not None:
            return found, set(_ALL)
    values = _asdict(wire)
    if fields_of is None and UNSET not in values.values():  # every field given
        return values, set(_ALL)
    given = set()
    for name, value in values.items():
        if value is UNSET:
            values[name] = _DEFAULTS[name]
        else:
            given.add(name)
    return values, given


_new = object.__new__


def _setter(name: str) -> Any:
    """The ``__set__`` of the descriptor ``ContactRequest().<name> = ...`` goes through (the
    first class of the model's MRO that defines it): what ``object.__setattr__`` would call,
    without looking it up on every request."""
    descriptor = next(vars(k)[name] for k in ContactRequest.__mro__ if name in vars(k))
    return descriptor.__set__


_set_dict = _setter("__dict__")
_set_fields_set = _setter("__pydantic_fields_set__")
_set_extra = _setter("__pydantic_extra__")
_set_private = _setter("__pydantic_private__")


def wire_request(data: str | bytes) -> ContactRequest | None:
    """The request JSON text ``data`` describes, exactly as pydantic reads it; None if not sure."""
    try:
        wire = _decode(data)
    except ValueError:  # msgspec's errors; also a str that cannot be UTF-8 (lone surrogates)
        return None
    at = start_of(wire.at)
    if at is None:
        return None
    if wire.pupil_home_alone is True and wire.parent_present is True:
        return None
    found = read_pupils(wire.pupils)
    if found is None or (wire.kind == "one_to_one" and len(found) > 1):
        return None
    staff = _shared(wire.staff, _known_staff, _staff_models, _staff_model)
    values, given = _values(wire)
    values["at"] = at
    values["staff"] = staff
    values["pupils"] = found
    request = _new(ContactRequest)
    _set_dict(request, values)
    _set_fields_set(request, given)
    _set_extra(request, None)
    _set_private(request, None)
    return request
