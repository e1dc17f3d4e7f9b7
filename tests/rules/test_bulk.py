"""Bulk deciding (``--jsonl``): forked workers give exactly the serial answer, in order."""

from __future__ import annotations

import io
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaperone.rules import load_template
from chaperone.rules.bulk import decide_jsonl, decide_lines
from tests.rules.helpers import BASE


def test_parallel_equals_serial_with_malformed_lines():
    rng = random.Random(7)
    base = BASE["habs-monmouth"]
    lines = []
    for i in range(301):
        if i % 50 == 7:
            lines.append(b'{"at": "nonsense"}')
            continue
        hour = rng.randint(6, 20)
        request = {**base, "at": f"2026-11-24T{hour:02d}:00:00+00:00", "recording": i % 3 == 0}
        lines.append(json.dumps(request).encode())
    data = b"\n".join(lines) + b"\n"
    protocol = load_template("habs-monmouth")
    serial_out = io.BytesIO()
    bad_serial = decide_lines(protocol, data.splitlines(), serial_out)
    serial = serial_out.getvalue().decode()
    buffer = io.BytesIO()
    bad_parallel = decide_jsonl(protocol, data, buffer, workers=3, threshold=10)
    assert buffer.getvalue().decode() == serial
    assert bad_serial and bad_parallel
    out = serial.splitlines()
    assert len(out) == len(lines)
    assert json.loads(out[7])["error"]["field"] == "at"


def test_no_malformed_lines():
    protocol = load_template("werrington-primary")
    data = (json.dumps(BASE["werrington-primary"]) + "\n").encode() * 40
    buffer = io.BytesIO()
    assert not decide_jsonl(protocol, data, buffer, workers=2, threshold=10)
    lines = buffer.getvalue().decode().splitlines()
    assert [json.loads(x)["outcome"] for x in lines] == ["allowed"] * 40


def test_serial_path_for_small_inputs():
    protocol = load_template("werrington-primary")
    buffer = io.BytesIO()
    assert decide_jsonl(protocol, b"{}\n", buffer)
    assert json.loads(buffer.getvalue())["error"]["code"] == "missing_field"


def _decide(data: bytes, **kwargs) -> list[dict]:
    buffer = io.BytesIO()
    decide_jsonl(load_template("habs-monmouth"), data, buffer, **kwargs)
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("parallel", [False, True])
def test_carriage_return_is_whitespace_not_a_line_break(parallel):
    # A CR inside a valid record (JSON whitespace) used to split it into two malformed lines and
    # shift every later answer down by one.
    good = json.dumps(BASE["habs-monmouth"]).encode()
    with_cr = good.replace(b'"kind": "one_to_one",', b'"kind": "one_to_one",\r', 1)
    assert with_cr != good
    lines = [good] * 20 + [with_cr] + [good] * 19 + [b"{broken"]
    kwargs = {"workers": 3, "threshold": 10} if parallel else {}
    out = _decide(b"\r\n".join(lines) + b"\r\n", **kwargs)
    assert len(out) == len(lines)
    assert all(row["outcome"] == "allowed" for row in out[:40])
    assert out[40]["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("parallel", [False, True])
def test_error_objects_name_their_input_line(parallel):
    good = json.dumps(BASE["habs-monmouth"]).encode()
    lines = [good] * 60
    lines[0] = b"{"
    lines[44] = b'{"at": "nonsense"}'
    kwargs = {"workers": 3, "threshold": 10} if parallel else {}
    out = _decide(b"\n".join(lines), **kwargs)
    assert out[0]["error"]["line"] == 1
    assert out[44]["error"] == {
        "code": "invalid_value",
        "message": "at: Input should be a valid datetime or date, input is too short",
        "field": "at",
        "line": 45,
    }
    # pydantic's position inside the record says "line 1"; only the column is kept.
    assert out[0]["error"]["message"] == "Invalid JSON: EOF while parsing an object at column 1"
    assert "line" not in {k for row in out[1:44] for k in row}


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.integers(0, 3_000_000), max_size=6),
    n=st.integers(0, 8),
)
def test_enough_lines_are_counted_as_a_full_count_would(lines, n):
    from chaperone.rules.bulk import _at_least_lines

    data = b"".join(b"x" * length + b"\n" for length in lines)
    assert _at_least_lines(data, n) == (data.count(b"\n") >= n)
    assert _at_least_lines(data.rstrip(b"\n"), n) == (data.rstrip(b"\n").count(b"\n") >= n)


def test_one_worker_for_each_idle_cpu():
    import os

    from chaperone.rules.bulk import _workers

    cpus = len(os.sched_getaffinity(0))
    assert 1 <= _workers() <= max(1, min(cpus, 8))


def test_a_process_running_now_takes_a_cpu_from_the_workers():
    """The count is of what runs now (``/proc/loadavg``'s runnable tasks), not the last
    minute's average: a process spinning beside the command is seen at once."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from chaperone.rules.bulk import _running_elsewhere

    if not Path("/proc/loadavg").exists():
        pytest.skip("/proc/loadavg is Linux's")
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        assert _running_elsewhere() >= 1
    finally:
        spinner.kill()
        spinner.wait()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"\n", b"\r", b"{", b"}", b"x", b" ", b"\r\n", b"\xe2\x80\xa8"])).map(
        b"".join
    )
)
def test_lines_of_gives_the_records_split_lines_gives(data):
    """Views into the input (bytes or a mapped file) are the records ``split_lines`` copies,
    over the whole input and over any share cut at a line's start."""
    import mmap
    import tempfile

    from chaperone.rules.bulk import _newlines, lines_of, split_lines

    expected = split_lines(data) if data else []
    assert [bytes(v) for v in lines_of(data)] == expected
    if not data:
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.flush()
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        assert [bytes(v) for v in lines_of(mapped)] == expected
        cut = data.find(b"\n", len(data) // 2) + 1 or len(data)
        share = [bytes(v) for v in lines_of(mapped, 0, cut)]
        rest = [bytes(v) for v in lines_of(mapped, cut, len(data))]
        assert share + rest == expected
        assert _newlines(mapped, 0, cut) == data.count(b"\n", 0, cut)
        mapped.close()


def test_map_input_maps_only_a_regular_non_empty_file_without_a_byte_order_mark(tmp_path):
    from chaperone.rules.bulk import map_input

    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(b'{"a": 1}\n')
    mapped = map_input(str(plain))
    assert mapped is not None and mapped[:] == b'{"a": 1}\n'
    mapped.close()
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf{}\n")
    import os

    os.mkfifo(tmp_path / "fifo")  # not opened: a reader would wait for a writer
    for name in ("empty.jsonl", "bom.jsonl", "missing.jsonl", ".", "fifo"):
        assert map_input(str(tmp_path / name)) is None
