"""The native reading of a request's pupils array (``_native.c``, ADR 0007) against msgspec's.

Whatever bytes it is given, the native reader either gives exactly the pupils msgspec's reading
gives (the same shared model objects, in order) with their summary, or None, and then the request
reader reads the array as it did before. On the layouts ``json.dumps`` writes it must not defer.
"""

from __future__ import annotations

import copy
import json
import pickle
import shutil
import sysconfig

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaperone.rules import wire
from chaperone.rules.atoms import PupilList, pupils_key
from chaperone.rules.request import ContactRequest

native = pytest.importorskip("chaperone.rules._native", reason="the C extension is not built")
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_extension_is_built_where_a_compiler_is():
    """``pip install`` builds it whenever a C compiler is there (it is optional, so a failed
    build would otherwise go unnoticed and every request would take the slower reading)."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler})")
    assert wire._read_native is native.read_pupils


def msgspec_reading(raw: bytes) -> list | None:
    try:
        pupils = wire._decode_pupils(raw)
    except ValueError:
        return None
    return [wire._pupil_models.get(w) or wire._pupil_model(w) for w in pupils]


def read(raw: bytes) -> PupilList | None:
    found = native.read_pupils(raw, wire._pupil_table(), PupilList)
    assert found is None or type(found) is PupilList
    return found


def same(raw: bytes) -> PupilList | None:
    """Assert the native reading is msgspec's or None; return it."""
    found = read(raw)
    if found is not None:
        expected = msgspec_reading(raw)
        assert expected is not None, raw
        assert len(found) == len(expected) and all(
            a is b for a, b in zip(found, expected, strict=True)
        ), raw
        request = ContactRequest.model_construct(pupils=expected)
        assert found.key == pupils_key(request), raw
    return found


pupil = st.fixed_dictionaries(
    {"age": st.integers(2, 25)},
    optional={"vulnerable": st.booleans(), "has_ehcp": st.booleans()},
)
keys_in_any_order = pupil.flatmap(
    lambda p: st.permutations(list(p.items())).map(lambda items: dict(items))
)


@SETTINGS
@given(pupils=st.lists(keys_in_any_order, min_size=1, max_size=40), layout=st.integers(0, 3))
def test_the_layouts_json_writes_are_read_natively(pupils, layout):
    raw = [
        json.dumps(pupils),
        json.dumps(pupils, separators=(",", ":")),
        json.dumps(pupils, indent=2),
        json.dumps(pupils, indent="\t").replace("\n", "\r\n"),
    ][layout].encode()
    found = same(raw)
    assert found is not None, raw
    assert list(found) == msgspec_reading(raw)


ODD = [
    b"",
    b"[]",
    b" [ ] ",
    b"null",
    b"{}",
    b'[{"age": 7}',
    b'[{"age": 7}]]',
    b'[{"age": 7}] x',
    b'[{"age": 7},]',
    b'[{"age": 7} {"age": 8}]',
    b'[{"age": 7,}]',
    b'[{,"age": 7}]',
    b'[{"age" 7}]',
    b'[{"age": 7 8}]',
    b"[{}]",
    b'[{"vulnerable": true}]',
    b'[{"age": 7, "age": 8}]',
    b'[{"age": 7, "vulnerable": true, "vulnerable": false}]',
    b'[{"a\\u0067e": 7}]',
    b'[{"age": 1}]',
    b'[{"age": 26}]',
    b'[{"age": 0}]',
    b'[{"age": 07}]',
    b'[{"age": -7}]',
    b'[{"age": 7.0}]',
    b'[{"age": 7e0}]',
    b'[{"age": 7E0}]',
    b'[{"age": 100}]',
    b'[{"age": "7"}]',
    b'[{"age": true}]',
    b'[{"age": null}]',
    b'[{"age": 7, "vulnerable": 1}]',
    b'[{"age": 7, "vulnerable": "true"}]',
    b'[{"age": 7, "vulnerable": True}]',
    b'[{"age": 7, "vulnerable": tru}]',
    b'[{"age": 7, "vulnerable": truex}]',
    b'[{"age": 7, "vulnerable": null}]',
    b'[{"age": 7, "x": 1}]',
    b'[{"age": 7, "Age": 1}]',
    b'[{"age ": 7}]',
    b'[{"age": 7}, 7]',
    b'[{"age": 7}, [{"age": 7}]]',
    b'[{"age": 7}]\x00',
    b'\x0b[{"age": 7}]',
    b'[{"age":\xa07}]',
    b'[{"age": 7}]' + b" " * 3,
    b'\r\n\t [ {"age"\t:\n7 } ]\r\n',
]


@pytest.mark.parametrize("raw", ODD)
def test_odd_arrays_are_read_as_msgspec_reads_them_or_deferred(raw):
    found = same(raw)
    # Of these, the native form reads only JSON whitespace around a plain array; the rest are
    # errors, or what it leaves to msgspec (a key given twice or escaped).
    assert (found is not None) == (raw in (ODD[-2], ODD[-1])), raw


@SETTINGS
@given(
    pupils=st.lists(keys_in_any_order, min_size=1, max_size=6),
    cut=st.integers(0, 200),
    junk=st.sampled_from([b"", b" ", b",", b"]", b"}", b"{", b'"', b":", b"0", b"t", b"\\"]),
)
def test_damaged_arrays_are_never_misread(pupils, cut, junk):
    raw = json.dumps(pupils).encode()
    cut = min(cut, len(raw))
    same(raw[:cut] + junk + raw[cut:])
    same(raw[:cut] + raw[cut + 1 :])


def test_the_summary_goes_with_any_change_to_the_list():
    found = read(b'[{"age": 9, "vulnerable": true}, {"age": 12}]')
    assert found is not None and found.key == (9, 2, True, False)
    found.append(found[0])
    assert found.key is None
    found = read(b'[{"age": 9}]')
    assert found is not None
    found[0:1] = []
    assert found.key is None
    found = read(b'[{"age": 9}]')  # a copy or a pickle is a plain list
    assert type(copy.copy(found)) is list and type(copy.deepcopy(found)) is list
    assert type(pickle.loads(pickle.dumps(found))) is list
    assert copy.copy(found) == found


def test_a_request_is_decided_the_same_whichever_way_its_pupils_were_read():
    from chaperone.rules import decide, load_template, parse_request, template_ids

    text = json.dumps(
        {
            "at": "2026-05-04T10:00:00+01:00",
            "kind": "group",
            "purpose": "teaching",
            "platform": "teams",
            "staff": [{"role": "teacher"}],
            "pupils": [{"age": 15}, {"age": 11, "has_ehcp": True}, {"vulnerable": True, "age": 13}],
        }
    )
    fast = parse_request(text)
    assert type(fast.pupils) is PupilList
    plain = fast.model_copy(update={"pupils": list(fast.pupils)})
    changed = parse_request(text)
    changed.pupils.append(changed.pupils[0])  # (the summary is worked out again)
    changed.pupils.pop()
    for tid in template_ids():
        protocol = load_template(tid)
        assert decide(protocol, fast) == decide(protocol, plain) == decide(protocol, changed)


def test_fields_of_is_the_dict_of_the_fields_or_none():
    names, values = ("a", "b", "c"), (1, [2], None)
    found = native.fields_of(names, values, msgspec.UNSET)
    assert found == dict(zip(names, values, strict=True)) and list(found) == list(names)
    assert native.fields_of(names, (1, msgspec.UNSET, 3), msgspec.UNSET) is None
    assert native.fields_of((), (), msgspec.UNSET) == {}
    with pytest.raises(TypeError):
        native.fields_of(names, (1, 2), msgspec.UNSET)
    with pytest.raises(TypeError):
        native.fields_of(list(names), values, msgspec.UNSET)


def test_the_pure_python_reading_is_the_same(monkeypatch):
    """Where the extension is not built, the request reader reads as pydantic does all the same
    (the equivalence tests of ``test_wire.py``, run on a seeded corpus without the native
    steps)."""
    from tests.rules.corpus import corpus
    from tests.rules.test_wire import check

    monkeypatch.setattr(wire, "_read_native", None)
    monkeypatch.setattr(wire, "fields_of", None)
    lines = corpus(9, 1500)
    read = [check(line) for line in lines]
    assert sum(r is not None for r in read) > len(lines) // 3
    assert all(r is None or type(r.pupils) is list for r in read)
