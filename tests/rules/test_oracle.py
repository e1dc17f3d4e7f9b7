"""The compiled engine against a plain interpreter (``reference.py``), and overlays against their
base: on shipped templates, on generated protocols and on generated school overlays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from chaperone.rules import (
    Conditions,
    Protocol,
    ProtocolError,
    apply_overlay,
    decide,
    load_template,
    parse_request,
    template_ids,
)
from chaperone.rules.atoms import (
    DERIVED_FLAGS,
    ENUM_FIELDS,
    FLAG_FIELDS,
    KEYED_SOURCE,
    source_of,
    zone_offsets,
)
from tests.rules import reference
from tests.rules.helpers import BASE
from tests.rules.strategies import CONDITION_VALUES, WINDOWS, overlays, protocols, requests

QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=QUIET)
OUTCOME_RANK = {"allowed": 0, "pending": 1, "refused": 2}


def same_answer(protocol: Protocol, data: dict) -> None:
    request = parse_request(data)
    assert decide(protocol, request).to_dict() == reference.decision(protocol, request), data


@SETTINGS
@given(data=requests(), tid=st.sampled_from(template_ids()))
def test_compiled_templates_equal_the_plain_interpreter(data, tid):
    same_answer(load_template(tid), data)


@SETTINGS
@given(protocol=protocols(), data=st.lists(requests(), min_size=1, max_size=5))
def test_compiled_generated_protocols_equal_the_plain_interpreter(protocol, data):
    for item in data:
        same_answer(protocol, item)


def test_every_condition_has_a_source_and_a_generator():
    names = set(Conditions.model_fields)
    assert names == set(CONDITION_VALUES)
    for name in names:
        assert source_of(name)  # a KeyError here: the condition is not wired into atoms.py
    wired = set(ENUM_FIELDS) | set(FLAG_FIELDS) | set(DERIVED_FLAGS) | set(KEYED_SOURCE)
    assert names - wired <= {"platform_approved", "consent_at_least"}


def _one_rule(name: str, value) -> Protocol:
    return Protocol.model_validate(
        {
            "id": "one-rule",
            "title": "One rule",
            "owner": {"kind": "trust", "name": "T"},
            "version": "1",
            "effective": "2026-09-01",
            "review": "2027-09-01",
            "platforms": ["teams"],
            "windows": WINDOWS,
            "rules": [
                {"id": "r", "code": "PURPOSE_NOT_PERMITTED", "effect": "refuse",
                 "when": {name: value}, "text": "t", "remedy": "r"}
            ],
        }
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(CONDITION_VALUES))
@settings(max_examples=40, deadline=None, suppress_health_check=QUIET)
@given(data=st.data())
def test_every_condition_is_wired_into_the_compiled_tables(name, data):
    # A condition read from the wrong place (or never read) makes this rule fire wrongly.
    protocol = _one_rule(name, data.draw(CONDITION_VALUES[name]))
    request = parse_request(data.draw(requests()))
    expected = reference.fired_rules(protocol, request) == ["r"]
    assert (decide(protocol, request).outcome == "refused") is expected
    assert source_of(name) in protocol.compiled.sources


def _base() -> st.SearchStrategy[Protocol]:
    return st.one_of(st.sampled_from([load_template(t) for t in template_ids()]), protocols())


@settings(max_examples=200, deadline=None, suppress_health_check=QUIET)
@given(data=st.data())
def test_a_valid_overlay_is_never_less_strict_than_its_base(data):
    base = data.draw(_base())
    try:
        school = apply_overlay(base, data.draw(overlays(base)))
    except ProtocolError:
        assume(False)  # the loosening checks refused it: nothing to apply
    for item in data.draw(st.lists(requests(), min_size=1, max_size=8)):
        request = parse_request(item)
        alone, combined = decide(base, request), decide(school, request)
        assert OUTCOME_RANK[combined.outcome] >= OUTCOME_RANK[alone.outcome], item
        blocking = {f.code for f in alone.findings if f.effect != "info"}
        assert blocking <= {f.code for f in combined.findings if f.effect != "info"}, item


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe"])
@settings(max_examples=300, deadline=None)
@given(ts=st.one_of(st.integers(0, 4_102_444_800), st.integers(1_774_745_990, 1_774_746_010)))
def test_tabulated_zone_offsets_equal_zoneinfo(zone, ts):
    tz = ZoneInfo(zone)
    assert zone_offsets(tz)(ts) == int(datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())


def test_a_call_beyond_year_9999_is_decided():
    # It used to end in "year 10000 is out of range" from the time-zone lookup.
    late = {**BASE["chaperone-recommended"], "at": "9999-12-31T23:50:00+00:00"}
    assert decide(load_template("chaperone-recommended"), parse_request(late)).outcome


@settings(max_examples=500, deadline=None)
@given(rules=st.integers(0, 2**300))
def test_positions_of_fired_rules_are_every_set_bit_lowest_first(rules):
    from chaperone.rules.compiled import _positions

    assert _positions(rules) == [i for i in range(rules.bit_length()) if rules >> i & 1]


def plain_timing(tz: ZoneInfo, ends: list[int], starts: list[int], start: int, minutes: int):
    """The fields :func:`time_deriver` gives, from ``zoneinfo`` at the call's start and end."""
    from bisect import bisect_left, bisect_right

    def local(ts: int) -> int:
        return ts + int(datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())

    local_start, local_end = local(start), local(start + minutes * 60)
    day = local_start // 86_400
    i = bisect_right(starts, local_start % 86_400)
    j = bisect_left(ends, local_end % 86_400)
    return (
        (day + 3) % 7,
        starts[i - 1] if i else -1,
        ends[j] if j < len(ends) else 1 << 30,
        local_end // 86_400 == day,
    )


_CHANGE = 1_774_746_000  # 2026-03-29 01:00 UTC, London's spring change


@pytest.mark.parametrize(
    "zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "UTC"]
)
@settings(max_examples=400, deadline=None)
@given(
    start=st.one_of(
        st.integers(0, 4_102_444_800),
        st.integers(_CHANGE - 3 * 86_400, _CHANGE + 3 * 86_400),
        st.integers(_CHANGE - 3 * 86_400, _CHANGE + 3 * 86_400).map(lambda t: t - t % 300),
    ),
    minutes=st.sampled_from([1, 15, 30, 45, 60, 90, 479, 480]),
)
def test_the_local_timing_of_a_call_is_the_zones(zone, start, minutes):
    # time_deriver takes one offset for a whole call on days where the zone's offset holds
    # from that day's start to the next day's end, and remembers the answer per local time.
    from chaperone.rules.atoms import compile_windows, time_deriver

    tz = ZoneInfo(zone)
    every = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    windows = compile_windows(
        {
            "day": {"start": "08:30", "end": "17:30", "days": every[:5]},
            "lunch": {"start": "12:30", "end": "13:30", "days": every},
            "late": {"start": "00:30", "end": "23:50", "days": every[5:]},
        }
    )
    starts = sorted({w.start_s for w in windows.values()})
    ends = sorted({w.end_s for w in windows.values()})
    derive = time_deriver(tz, windows)
    expected = plain_timing(tz, ends, starts, start, minutes)
    assert derive((start, minutes)) == expected
    assert derive((start, minutes)) == expected  # remembered
    assert derive((datetime.fromtimestamp(start, tz), minutes)) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=QUIET)
@given(
    data=requests(),
    tid=st.sampled_from(template_ids()),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    start=st.one_of(
        st.just(None),
        st.integers(_CHANGE - 3 * 86_400, _CHANGE + 3 * 86_400).map(lambda t: t - t % 60),
        st.integers(1_792_000_000, 1_793_000_000),  # autumn 2026: the changes back
    ),
)
def test_the_jsonl_reader_fires_the_rules_the_request_reader_fires(data, tid, zone, start):
    # --jsonl's requests hold their start as POSIX seconds, and its reader looks the time
    # source up by local time of day on days of one offset: the same rules must fire.
    import json
    from datetime import UTC

    from chaperone.rules.bulkwire import bulk_request
    from chaperone.rules.compiled import CompiledProtocol

    spec = {**load_template(tid).spec(), "time_zone": zone}
    compiled = CompiledProtocol(spec)
    if start is not None:
        data = {**data, "at": datetime.fromtimestamp(start, UTC).isoformat()}
    text = json.dumps(data).encode()
    bulk = bulk_request(text)
    assert bulk is not None
    expected = compiled.fired(parse_request(text))
    assert compiled._bulk_fire(bulk) == expected, data
    assert compiled._bulk_fire(bulk_request(text)) == expected, data  # (remembered)


@SETTINGS
@given(data=requests(), more_staff=st.integers(0, 3), more_pupils=st.integers(0, 30))
def test_the_inlined_keys_are_the_key_functions(data, more_staff, more_pupils):
    import json

    from chaperone.rules.atoms import KEY_CODE, KEY_NAMES, MODEL_KEY_CODE, pupils_key, staff_key
    from chaperone.rules.bulkwire import bulk_request

    if data["kind"] == "group":
        extra = [{"age": 5 + i % 12, "vulnerable": i % 7 == 0} for i in range(more_pupils)]
        data["pupils"] += extra
    data["staff"] += [{"role": ("dsl", "teacher", "slt")[i % 3]} for i in range(more_staff)]
    text = json.dumps(data)
    parsed = parse_request(text)
    for request in (parsed, bulk_request(text.encode())):
        for source, function in (("staff", staff_key), ("pupils", pupils_key)):
            namespace = {**KEY_NAMES, "r": request}
            exec("\n".join(KEY_CODE[source]), namespace)
            assert namespace["k"] == function(request), (source, data)
    # The parsed request's reader takes the model's fields from its __dict__.
    for source, function in (("staff", staff_key), ("pupils", pupils_key)):
        namespace = {**KEY_NAMES, "d": parsed.__dict__}
        exec("\n".join(MODEL_KEY_CODE[source]), namespace)
        assert namespace["k"] == function(parsed), (source, data)


@SETTINGS
@given(data=requests(), seconds=st.integers(-(2**31), 2**33))
def test_a_start_is_read_the_same_whether_the_reader_kept_it_or_not(data, seconds):
    """The in-process reader looks a kept start's POSIX second up by the datetime's identity
    (atoms.KEPT_STARTS); a start it did not keep (a request built directly, a copy) is converted.
    Both give the decision of the plain interpreter."""
    import json
    from datetime import UTC

    from chaperone.rules.atoms import KEPT_STARTS

    data = {**data, "at": datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    parsed = parse_request(json.dumps(data))
    if id(parsed.at) in KEPT_STARTS:
        assert KEPT_STARTS[id(parsed.at)] == int(parsed.at.timestamp()) == seconds
    unkept = parsed.model_copy(update={"at": datetime.fromtimestamp(seconds, UTC)})
    assert id(unkept.at) not in KEPT_STARTS
    for tid in template_ids():
        protocol = load_template(tid)
        expected = reference.decision(protocol, parsed)
        assert decide(protocol, parsed).to_dict() == expected, (tid, data)
        assert decide(protocol, unkept).to_dict() == expected, (tid, data)
