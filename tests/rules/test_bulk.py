"""Bulk deciding (``--jsonl``): forked workers give exactly the serial answer, in order."""

from __future__ import annotations

import io
import json
import random

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
