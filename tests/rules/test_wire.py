"""The msgspec reading of requests (``wire.py``) against pydantic: the same model, or it defers.

Whatever text it is given, valid or not, the msgspec reading must either build exactly the
request pydantic builds (equal fields, the same fields set, the same nested objects, the same
start instant and offset) or answer ``None`` so that pydantic decides, errors included.
"""

from __future__ import annotations

import json
import random

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chaperone.rules import RequestError, parse_request
from chaperone.rules.atoms import PupilList, pupils_key
from chaperone.rules.request import ContactRequest, Pupil
from chaperone.rules.wire import (
    BulkPupil,
    BulkRequest,
    WirePupil,
    WireRequest,
    bulk_request,
    wire_request,
)
from tests.rules.corpus import ODD_TIMES, ODD_VALUES, corpus, mutate, random_request, raw_lines
from tests.rules.helpers import BASE
from tests.rules.strategies import requests

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pydantic_reading(data: str | bytes) -> ContactRequest | None:
    try:
        return ContactRequest.model_validate_json(data)
    except ValidationError:
        return None


def identical(fast: ContactRequest, slow: ContactRequest) -> bool:
    """Equal as pydantic compares models, and equal in every detail a caller could see."""
    return (
        fast == slow
        and type(fast) is type(slow)
        and fast.model_fields_set == slow.model_fields_set
        and list(fast.__dict__) == list(slow.__dict__)
        and repr(fast) == repr(slow)
        and fast.model_dump_json() == slow.model_dump_json()
        and fast.model_dump() == slow.model_dump()
        and fast.at.utcoffset() == slow.at.utcoffset()
        and type(fast.at.tzinfo) is type(slow.at.tzinfo)
        and type(fast.staff) is list
        # (a list, or the native reader's list with the pupils' summary: ADR 0007)
        and (
            type(fast.pupils) is list
            or (type(fast.pupils) is PupilList and fast.pupils.key == pupils_key(slow))
        )
        and [p.model_fields_set for p in fast.pupils] == [p.model_fields_set for p in slow.pupils]
        and [s.model_fields_set for s in fast.staff] == [s.model_fields_set for s in slow.staff]
    )


def same_values(bulk: BulkRequest, request: ContactRequest) -> bool:
    """The engine reads the same value of every field from both."""
    for name in ContactRequest.model_fields:
        a, b = getattr(bulk, name), getattr(request, name)
        if name == "at":  # the instant, as a POSIX timestamp
            b = int(b.timestamp())
        if name in ("staff", "pupils"):
            a = [msgspec.structs.asdict(x) for x in a]
            b = [x.model_dump() for x in b]
        if a != b or type(a) is not type(b):
            return False
    return True


def check(data: str | bytes) -> ContactRequest | None:
    """Assert the msgspec readings agree with pydantic on ``data``; return the request's."""
    fast = wire_request(data)
    if fast is not None:
        slow = pydantic_reading(data)
        assert slow is not None, f"msgspec accepted what pydantic refuses: {data!r}"
        assert identical(fast, slow), data
    if isinstance(data, bytes):
        # The bulk reading accepts no more than the in-process one. It may defer where that one
        # reads: a pupils key given twice, the first time invalid, is the last one's for
        # pydantic and for the in-process reading (which keeps the array's text), while msgspec
        # refuses the first as it decodes it.
        bulk = bulk_request(data)
        assert bulk is None or (fast is not None and same_values(bulk, fast)), data
    return fast


def test_the_structs_mirror_the_model():
    for struct, model in ((WireRequest, ContactRequest), (BulkRequest, ContactRequest),
                          (WirePupil, Pupil), (BulkPupil, Pupil)):  # fmt: skip
        fields = msgspec.structs.fields(struct)
        assert [f.name for f in fields] == list(model.model_fields)  # the model's order
        for f in fields:
            info = model.model_fields[f.name]
            assert f.required == info.is_required(), f.name
            if not f.required and struct in (BulkRequest, BulkPupil):
                assert f.default == info.default and type(f.default) is type(info.default)
            elif not f.required:
                assert f.default is msgspec.UNSET


def layouts(request: dict) -> list[str]:
    return [
        json.dumps(request),
        json.dumps(request, separators=(",", ":")),
        json.dumps(request, ensure_ascii=False),
        json.dumps(request, indent=1),
    ]


@SETTINGS
@given(data=requests())
def test_valid_requests_are_read_as_pydantic_reads_them(data):
    # Every layout of a valid request is read without pydantic.
    for text in layouts(data):
        assert check(text) is not None
        assert check(text.encode()) is not None


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_requests_are_read_as_pydantic_reads_them_or_deferred(seed):
    rng = random.Random(seed)
    request = mutate(rng, random_request(rng))
    for text in layouts(request):
        check(text)
    for line in raw_lines(rng, request):
        check(line)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), field=st.sampled_from(sorted(BASE["habs-monmouth"])))
def test_any_odd_value_in_any_field_is_read_as_pydantic_reads_it(seed, field):
    rng = random.Random(seed)
    request = random_request(rng)
    request[field] = rng.choice((*ODD_VALUES, *ODD_TIMES))
    for text in layouts(request):
        check(text)


def test_a_seeded_corpus_of_valid_and_malformed_lines():
    lines = corpus(8, 3000)
    accepted = sum(check(line) is not None for line in lines)
    # About half the corpus is valid, and read without pydantic.
    assert accepted > len(lines) // 3


GOOD = json.dumps(random_request(random.Random(3)))


def _swap(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    "text",
    [
        _swap('"kind": ', '"kind": "group", "kind": '),  # duplicate key: deferred
        _swap('"recording": ', '"recording": true, "recording": '),
        _swap('"kind": ', '"kind": "phone_call", "kind": '),  # duplicates: the last one counts
        _swap('"platform": ', '"platform": "zoom", "platform": '),
        _swap('"platform": ', '"platform": 7, "platform": '),
        _swap('"kind": ', '"k\\u0069nd": '),  # an escaped key
        _swap('"pupils": [', '"pupils": [{"age": 7}, {"has_ehcp": true, "age": 9}, '),
        _swap('"duration_minutes": ', '"duration_minutes": 30.0, "x": '),
        _swap('"duration_minutes": ', '"duration_minutes": 1e1, "x": '),
        _swap('"emergency": ', '"emergency": 0, "x": '),
        _swap('"emergency": ', '"emergency": NaN, "x": '),
        _swap('"pupils": [', '"pupils": [{"age": 10.0}, '),
        _swap('"pupils": [', '"pupils": [{"age": 7, "age": 8}, '),
        _swap('"pupils": [', '"pupils": [{"age": true}, '),
        _swap('"pupils": [', '"pupils": [{"age": 99999999999999999999999}, '),
        _swap('"pupils": [', '"pupils": [{"age": 7, "x": 1}, '),
        _swap('"staff": [', '"staff": [{"role": "dsl", "role": "x"}, '),
        _swap('"staff": [', '"pupils": [], "staff": ['),
        _swap('"kind": ', '"pupils": [{"age": 7}], "kind": '),
        _swap('"kind": ', '"x": "\\"pupils\\": [{", "kind": '),
        _swap('"kind": ', '"colour": "}]", "kind": '),
        _swap('"platform": ', '"platform": "te\\u0061ms", "x": '),
        _swap('"platform": ', '"platform": "\ud800", "x": '),
        "\ufeff" + GOOD,
        "\r\n" + GOOD + "\r\n",
        "\x0b" + GOOD,
        GOOD + "\u00a0",
        GOOD.replace(", ", ",\r "),
        GOOD[:-1] + ", }",
        GOOD[:-1] + ',"x":1}',
        GOOD + GOOD,
        "[" + GOOD + "]",
        "{}",
        "",
        '{"',
    ],
)
def test_texts_at_the_edges_of_json(text):
    check(text)
    check(text.encode("utf-8", "surrogatepass"))


EDGE_TIMES = ("2026-11-23T10:00:00+19:59", "2026-11-23T10:00:00-19:59", "1000-01-01T00:00:00-19:59",
              "2999-12-31T23:59:59+19:59", "2026-11-23T10:00:00.000+00:00")  # fmt: skip


@pytest.mark.parametrize("at", [*(t for t in ODD_TIMES if isinstance(t, str)), *EDGE_TIMES])
def test_start_times(at):
    check(json.dumps({**json.loads(GOOD), "at": at}))


def test_common_start_times_are_read_without_pydantic():
    for at in ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00+01:00", "2026-11-23T10:00:00-05:30"):
        assert check(json.dumps({**json.loads(GOOD), "at": at})) is not None


def test_not_utf8_is_deferred():
    assert wire_request(GOOD.encode("utf-16")) is None
    assert wire_request(GOOD.encode().replace(b"teaching", b"teach\xffing")) is None


def test_contradictions_are_left_to_pydantic():
    one = {**json.loads(GOOD), "kind": "one_to_one", "pupils": [{"age": 9}, {"age": 10}]}
    assert wire_request(json.dumps(one)) is None
    with pytest.raises(RequestError) as exc:
        parse_request(json.dumps(one))
    assert (exc.value.code, exc.value.field) == ("inconsistent_request", "pupils")
    home = {**json.loads(GOOD), "pupil_home_alone": True, "parent_present": True}
    assert wire_request(json.dumps(home)) is None


def test_requests_do_not_share_their_lists():
    a, b = parse_request(GOOD), parse_request(GOOD)
    assert a == b
    assert a.pupils is not b.pupils and a.staff is not b.staff


def whole_start_posix(text: str) -> int | None:
    """The start's POSIX seconds as read before it was read in parts: the whole pattern, then
    ``fromisoformat`` of the first 19 characters."""
    from datetime import UTC, datetime

    from chaperone.rules.bulkwire import _AT

    if _AT.fullmatch(text) is None:
        return None
    try:
        naive = datetime.fromisoformat(text[:19])
    except ValueError:
        return None
    tail = text[19:]
    offset = 0 if tail == "Z" else int(tail[1:3]) * 3600 + int(tail[4:6]) * 60
    if tail[0] == "-":
        offset = -offset
    return int(naive.replace(tzinfo=UTC).timestamp()) - offset


_PIECES = st.sampled_from(["0", "1", "2", "3", "5", "9", "-", ":", "T", "Z", "+", " ", "٣", "x"])


@settings(max_examples=2000, deadline=None)
@given(
    date=st.one_of(st.dates().map(str), st.text(_PIECES, min_size=9, max_size=11)),
    sep=st.sampled_from(["T", "t", " ", ""]),
    clock=st.one_of(
        st.times().map(lambda t: t.isoformat(timespec="seconds")),
        st.text(_PIECES, min_size=7, max_size=9),
    ),
    tail=st.one_of(
        st.sampled_from(["Z", "z", "", "+00:00", "-00:00", "+01:00", "-05:30", "+19:59", "+20:00"]),
        st.text(_PIECES, min_size=0, max_size=7),
    ),
)
def test_a_start_read_in_parts_is_the_start_read_whole(date, sep, clock, tail):
    from chaperone.rules.bulkwire import posix_of

    text = date + sep + clock + tail
    assert posix_of(text) == whole_start_posix(text), text
    assert posix_of(text) == whole_start_posix(text), text  # (and once its parts are known)


@pytest.mark.parametrize("at", [*(t for t in ODD_TIMES if isinstance(t, str)), *EDGE_TIMES])
def test_odd_starts_read_in_parts_as_whole(at):
    from chaperone.rules.bulkwire import posix_of

    assert posix_of(at) == whole_start_posix(at)
