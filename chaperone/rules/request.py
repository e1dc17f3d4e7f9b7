"""The contact request: what a member of staff asks permission for.

The fields and defaults follow ``shared/contracts/protocol-check.md`` exactly. Parsing is strict
(unknown fields, wrong types and contradictory combinations are errors) and every error names the
offending field in dotted form, e.g. ``pupils.0.age``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .errors import RequestError
from .vocab import (
    Consent,
    Holder,
    Kind,
    Platform,
    PupilLocation,
    Purpose,
    Role,
    StaffLocation,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StaffMember(_Strict):
    role: Role


class Pupil(_Strict):
    age: StrictInt = Field(ge=2, le=25)
    vulnerable: StrictBool = False
    has_ehcp: StrictBool = False


class ContactRequest(_Strict):
    """One proposed contact between staff and pupils, described before it happens."""

    at: AwareDatetime = Field(description="Start time with a UTC offset (ISO 8601).")
    duration_minutes: StrictInt = Field(default=30, ge=1, le=480)
    kind: Kind
    purpose: Purpose
    platform: Platform
    account: Holder = "school"
    device: Holder = "school"
    staff_location: StaffLocation = "on_site"
    emergency: StrictBool = False
    staff: list[StaffMember] = Field(min_length=1)
    pupils: list[Pupil] = Field(min_length=1)
    parent_present: StrictBool = False
    chaperone_present: StrictBool = False
    pupil_home_alone: StrictBool = False
    second_staff_invited: StrictBool = False
    second_staff_role: Role | None = None
    dsl_invited: StrictBool = False
    recording: StrictBool = False
    parental_consent: Consent = "none"
    slt_approved: StrictBool = False
    risk_assessed: StrictBool = False
    on_dsl_timetable: StrictBool = False
    linked_to_plan: StrictBool = False
    waiting_room: StrictBool = False
    pupil_location: PupilLocation = "common_room"
    parents_informed: StrictBool = False

    @model_validator(mode="after")
    def _consistent(self) -> ContactRequest:
        if self.kind == "one_to_one" and len(self.pupils) > 1:
            raise PydanticCustomError(
                "inconsistent_request",
                "a one_to_one contact has exactly one pupil, not {count}",
                {"field": "pupils", "count": len(self.pupils)},
            )
        if self.pupil_home_alone and self.parent_present:
            raise PydanticCustomError(
                "inconsistent_request",
                "pupil_home_alone contradicts parent_present: a parent in the room is at home",
                {"field": "pupil_home_alone"},
            )
        return self


_CODE_FOR_TYPE = {
    "json_invalid": "malformed_json",
    "json_type": "malformed_json",
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    "inconsistent_request": "inconsistent_request",
    "model_type": "invalid_request",
    "model_attributes_type": "invalid_request",
}


def request_error_from(exc: ValidationError) -> RequestError:
    """The first problem of a pydantic error, as a :class:`RequestError` naming its field."""
    err = exc.errors(include_url=False)[0]
    kind = err["type"]
    ctx = err.get("ctx") or {}
    field = ".".join(str(part) for part in err["loc"]) or str(ctx.get("field", ""))
    code = _CODE_FOR_TYPE.get(kind, "invalid_value")
    message = err["msg"]
    if code == "unknown_field":
        message = f"unknown field {field!r}"
    elif code == "missing_field":
        message = f"missing required field {field!r}"
    elif code == "invalid_request":
        message = "a request must be a JSON object"
    elif field and code != "inconsistent_request":
        message = f"{field}: {message}"
    return RequestError(code, message, field)


_TEXT = (bytes, str)


def parse_request(data: dict[str, Any] | str | bytes) -> ContactRequest:
    """Validate a request given as a dict or as JSON text; raise :class:`RequestError`."""
    if not isinstance(data, _TEXT):
        if not isinstance(data, dict):
            raise RequestError("invalid_request", "a request must be a JSON object")
        # Round-trip through JSON so dicts and text are judged by exactly the same rules.
        try:
            data = json.dumps(data)
        except (TypeError, ValueError) as exc:
            message = f"request is not JSON-serialisable: {exc}"
            raise RequestError("invalid_request", message) from None
    # The msgspec reading gives exactly pydantic's request, or None: then pydantic reads the
    # text, and its errors (naming the field) are the ones reported.
    request = _wire.wire_request(data)
    if request is not None:
        return request
    try:
        return ContactRequest.model_validate_json(data)
    except ValidationError as exc:
        raise request_error_from(exc) from None


# The msgspec reading builds on the models above (and is used by parse_request only at call time).
# (As a module, so that either can be imported first: wire.py imports the models from here.)
from . import wire as _wire  # noqa: E402
