"""Bulk deciding (``--jsonl``): forked workers give exactly the serial answer, in order."""

from __future__ import annotations

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
    serial, bad_serial = decide_lines(protocol, data.splitlines())
    parallel, bad_parallel = decide_jsonl(protocol, data, workers=3, threshold=10)
    assert parallel == serial
    assert bad_serial and bad_parallel
    out = serial.splitlines()
    assert len(out) == len(lines)
    assert json.loads(out[7])["error"]["field"] == "at"


def test_no_malformed_lines():
    protocol = load_template("werrington-primary")
    data = (json.dumps(BASE["werrington-primary"]) + "\n").encode() * 40
    text, bad = decide_jsonl(protocol, data, workers=2, threshold=10)
    assert not bad
    assert [json.loads(x)["outcome"] for x in text.splitlines()] == ["allowed"] * 40
