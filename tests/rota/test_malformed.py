"""Malformed requests: RotaInputError naming the field (and exit 2 with the one-line error)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from chaperone.rota import RotaInputError, plan_from_bytes, plan_from_dict
from tests.rota.helpers import cli, small_input

Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return edit


def _del(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return edit


CASES: list[tuple[str, Edit, str, str]] = [
    ("unknown top-level field", _set("colour", "red"), "unknown_field", "colour"),
    (
        "unknown pupil field",
        _set("households.1.pupils.0.age", 9),
        "unknown_field",
        "households[1].pupils[0].age",
    ),
    ("unknown staff field", _set("staff.2.phone", "x"), "unknown_field", "staff[2].phone"),
    ("missing field", _del("staff.0.calls_per_day"), "missing_field", "staff[0].calls_per_day"),
    ("wrong type", _set("staff.0.qualified", "yes"), "wrong_type", "staff[0].qualified"),
    ("duplicate staff id", _set("staff.1.id", "st-dsl"), "duplicate_id", "staff[1].id"),
    (
        "duplicate household id",
        _set("households.2.id", "hh-cp"),
        "duplicate_id",
        "households[2].id",
    ),
    (
        "duplicate pupil id",
        _set("households.2.pupils.0.id", "p-1"),
        "duplicate_id",
        "households[2].pupils[0].id",
    ),
    (
        "unknown key adult",
        _set("households.3.key_adult", "st-nobody"),
        "unknown_staff",
        "households[3].key_adult",
    ),
    ("unknown staff day", _set("staff.1.days.0", "2027-01-09"), "unknown_day", "staff[1].days[0]"),
    (
        "unknown avoided day",
        _set("households.0.avoid_days.0", "2027-02-01"),
        "unknown_day",
        "households[0].avoid_days[0]",
    ),
    (
        "household without pupils",
        _set("households.4.pupils", []),
        "no_pupils",
        "households[4].pupils",
    ),
    (
        "unknown tier",
        _set("households.1.pupils.1.tier", "monthly"),
        "unknown_tier",
        "households[1].pupils[1].tier",
    ),
    ("bad date", _set("days.2", "2027-02-30"), "bad_date", "days[2]"),
    ("not a date", _set("days.0", "next monday"), "bad_date", "days[0]"),
    ("date not in ISO form", _set("days.0", "20270107"), "bad_date", "days[0]"),
    ("days not ascending", _set("days.3", "2027-01-07"), "days_not_ascending", "days[3]"),
    ("a day repeated", _set("days.1", "2027-01-07"), "days_not_ascending", "days[1]"),
    ("no days", _set("days", []), "days_out_of_range", "days"),
    (
        "calls_per_day above 100",
        _set("staff.0.calls_per_day", 101),
        "out_of_range",
        "staff[0].calls_per_day",
    ),
    (
        "calls_per_day below 0",
        _set("staff.3.calls_per_day", -1),
        "out_of_range",
        "staff[3].calls_per_day",
    ),
    (
        "calls_per_day not whole",
        _set("staff.0.calls_per_day", 2.5),
        "wrong_type",
        "staff[0].calls_per_day",
    ),
    ("staff with no schools", _set("staff.2.schools", []), "no_schools", "staff[2].schools"),
]


def _sixty_one_days(data: dict[str, Any]) -> None:
    import datetime as dt

    start = dt.date(2027, 1, 4)
    data["days"] = [(start + dt.timedelta(days=i)).isoformat() for i in range(61)]
    for person in data["staff"]:
        person.pop("days", None)
    for household in data["households"]:
        household.pop("avoid_days", None)


CASES.append(("more than 60 days", _sixty_one_days, "days_out_of_range", "days"))


@pytest.mark.parametrize(("name", "edit", "code", "field"), CASES, ids=[c[0] for c in CASES])
def test_malformed_input_names_the_field(name, edit, code, field):
    data = copy.deepcopy(small_input())
    edit(data)
    with pytest.raises(RotaInputError) as caught:
        plan_from_dict(data)
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    assert caught.value.message
    with pytest.raises(RotaInputError) as from_bytes:
        plan_from_bytes(json.dumps(data).encode())
    assert (from_bytes.value.code, from_bytes.value.field) == (code, field)


def test_sixty_days_are_fine():
    data = small_input()
    _sixty_one_days(data)
    data["days"].pop()
    plan = plan_from_dict(data)
    assert plan["stats"]["households"] == 5


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"{not json", "malformed_json"), (b"[]", "wrong_type"), (b"", "malformed_json")],
)
def test_not_a_request_at_all(raw, code):
    with pytest.raises(RotaInputError) as caught:
        plan_from_bytes(raw)
    assert caught.value.code == code


def test_a_malformed_previous_plan_is_reported_under_previous():
    with pytest.raises(RotaInputError) as caught:
        plan_from_dict(small_input(), previous={"calls": [{"household": "hh-cp"}]})
    assert caught.value.field == "previous.calls[0].day"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_set("households.1.pupils.0.tier", "monthly"), "households[1].pupils[0].tier"),
        (_set("staff.0.calls_per_day", 500), "staff[0].calls_per_day"),
        (_set("households.0.extra", True), "households[0].extra"),
    ],
)
def test_the_command_exits_2_with_a_one_line_json_error(tmp_path, edit, field):
    data = small_input()
    edit(data)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    proc = cli("rota", "plan", str(path))
    assert proc.returncode == 2
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])["error"]
    assert set(error) == {"code", "message", "field"}
    assert error["field"] == field
