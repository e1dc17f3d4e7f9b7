"""Malformed requests are errors that name the field, in process and through the CLI."""

from __future__ import annotations

import json

import pytest

from chaperone.rules import RequestError, parse_request
from tests.rules.helpers import BASE, cli

GOOD = BASE["werrington-primary"]


def without(key: str) -> dict:
    return {k: v for k, v in GOOD.items() if k != key}


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({**GOOD, "colour": "blue"}, "unknown_field", "colour"),
        (without("at"), "missing_field", "at"),
        (without("kind"), "missing_field", "kind"),
        ({**GOOD, "kind": "seance"}, "invalid_value", "kind"),
        ({**GOOD, "at": "2026-11-24T10:00:00"}, "invalid_value", "at"),
        ({**GOOD, "at": "tuesday"}, "invalid_value", "at"),
        ({**GOOD, "duration_minutes": 0}, "invalid_value", "duration_minutes"),
        ({**GOOD, "duration_minutes": 481}, "invalid_value", "duration_minutes"),
        ({**GOOD, "staff": []}, "invalid_value", "staff"),
        ({**GOOD, "staff": [{"role": "janitor"}]}, "invalid_value", "staff.0.role"),
        ({**GOOD, "pupils": [{"age": 7}, {"age": "seven"}]}, "invalid_value", "pupils.1.age"),
        ({**GOOD, "pupils": [{"age": 7, "shoe": 3}]}, "unknown_field", "pupils.0.shoe"),
        ({**GOOD, "parent_present": "yes"}, "invalid_value", "parent_present"),
        ({**GOOD, "second_staff_role": "wizard"}, "invalid_value", "second_staff_role"),
        ({**GOOD, "kind": "one_to_one"}, "inconsistent_request", "pupils"),
        ({**GOOD, "pupil_home_alone": True}, "inconsistent_request", "pupil_home_alone"),
    ],
)
def test_malformed_request_names_field(data, code, field):
    with pytest.raises(RequestError) as exc:
        parse_request(data)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert exc.value.message


def test_text_and_dict_parse_identically():
    assert parse_request(json.dumps(GOOD)) == parse_request(GOOD)


def test_defaults_follow_contract():
    r = parse_request(GOOD)
    assert r.duration_minutes == 30
    assert (r.account, r.device, r.staff_location) == ("school", "school", "on_site")
    assert (r.parental_consent, r.pupil_location) == ("none", "common_room")
    assert r.second_staff_role is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"'])
def test_not_an_object(text):
    with pytest.raises(RequestError) as exc:
        parse_request(text)
    assert exc.value.code in {"malformed_json", "invalid_request"}


def test_cli_malformed_request_exit_2_with_one_json_line():
    proc = cli("check", "--protocol", "werrington-primary", "-", stdin=json.dumps(without("at")))
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])["error"]
    assert error == {
        "code": "missing_field",
        "message": error["message"],
        "field": "at",
    }


def test_cli_nested_field_named():
    bad = {**GOOD, "pupils": [{"age": 7}, {"age": 7.5}]}
    proc = cli("check", "--protocol", "werrington-primary", "-", stdin=json.dumps(bad))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["field"] == "pupils.1.age"
