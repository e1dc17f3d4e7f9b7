"""The append's own payload writer and details copy give exactly what the general ones give.

``payload_text`` and ``plain_details`` are what ``record()`` uses on every audited action;
``build_payload`` and ``plain_json`` are what verification and the bulk seeding use. A row whose
payload differs from ``build_payload``'s by one byte would be reported as tampered with, so they
are held to each other here on random rows of every type a column can hold."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chaperone.audit.chain import (
    PAYLOAD_FIELDS,
    build_payload,
    canonical_json,
    payload_text,
    plain_details,
    plain_json,
)

_INTEGER = ("chain_id", "seq", "actor_user_id", "actor_staff_id", "trust_id", "school_id")
_text = st.text(max_size=40)  # any code points: quotes, backslashes, controls, accents, emoji
_maybe_int = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
_scalar = st.none() | st.booleans() | st.integers() | _text
_json = st.recursive(
    _scalar | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


def _moment() -> st.SearchStrategy[dt.datetime]:
    zones = st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=1))]
    )
    return st.datetimes(
        min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(9998, 12, 30), timezones=zones
    )


@st.composite
def rows(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in PAYLOAD_FIELDS:
        if name in _INTEGER:
            fields[name] = draw(_maybe_int)
        elif name == "occurred_at":
            fields[name] = draw(_moment())
        elif name == "details":
            fields[name] = draw(st.dictionaries(_text, _json, max_size=4))
        elif name == "ip_address":
            fields[name] = draw(st.none() | st.ip_addresses().map(str))
        else:
            fields[name] = draw(_text)
    return fields


@settings(max_examples=400, deadline=None)
@given(rows())
def test_payload_text_is_build_payload_byte_for_byte(fields: dict[str, Any]) -> None:
    assert payload_text(fields, canonical_json(fields["details"])) == build_payload(fields)


def test_payload_text_on_a_typical_row() -> None:
    fields = {
        "chain_id": 5,
        "seq": 41,
        "occurred_at": dt.datetime(2026, 12, 2, 9, 30, 0, 12, tzinfo=dt.UTC),
        "action": "pupil.viewed",
        "actor_user_id": 7,
        "actor_staff_id": None,
        "actor_label": 'Ms Zoë "Jo" O\'Neill \\ deputy',
        "trust_id": 5,
        "school_id": 12,
        "target_type": "people.pupil",
        "target_id": "88",
        "target_label": "Amira 😊\nKhan",
        "ip_address": "2001:db8::1",
        "user_agent": "Mozilla/5.0",
        "request_id": "r-1",
        "via": "web",
        "details": {"tab": "contacts", "count": 3, "flag": True, "none": None},
        "prev_hash": "0" * 64,
    }
    text = payload_text(fields, canonical_json(fields["details"]))
    assert text == build_payload(fields)
    assert text.startswith('{"action":"pupil.viewed","actor_label":"Ms Zoë \\"Jo\\"')


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_text, _json, max_size=5))
def test_plain_details_equals_the_json_round_trip(details: dict[str, Any]) -> None:
    copied = plain_details(details)
    assert copied == plain_json(details)
    assert canonical_json(copied) == canonical_json(plain_json(details))
    assert copied is not details  # the caller's dict is never the event's


def test_plain_details_converts_what_json_would() -> None:
    details = {
        "when": dt.date(2026, 12, 2),
        "id": uuid.UUID(int=1),
        "amount": decimal.Decimal("1.50"),
        "pair": (1, 2),
        3: "three",
    }
    assert plain_details(details) == {
        "when": "2026-12-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "amount": "1.50",
        "pair": [1, 2],
        "3": "three",
    }
