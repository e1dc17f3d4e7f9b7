"""Every public example of the ``chaperone check`` contract, in process and through the CLI."""

from __future__ import annotations

import json

import pytest

from tests.rules.helpers import EXAMPLES, SHARED_EXAMPLES, cli, codes, examples, meets, run

ROWS = examples()


@pytest.mark.skipif(not SHARED_EXAMPLES.exists(), reason="shared contracts not present")
def test_local_copy_matches_the_contract():
    assert EXAMPLES.read_text() == SHARED_EXAMPLES.read_text()


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_example_in_process(row):
    decision = run(row["protocol"], row["request"])
    assert meets(row["expect"], decision.outcome, codes(decision)), decision.to_dict()


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_example_through_cli(row):
    proc = cli("check", "--protocol", row["protocol"], "-", stdin=json.dumps(row["request"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    decision = json.loads(proc.stdout)
    found = {f["code"] for f in decision["findings"]}
    assert meets(row["expect"], decision["outcome"], found), decision
    assert decision["protocol"]["id"] == row["protocol"]


def test_examples_as_jsonl_keep_order_and_protocol(tmp_path):
    for protocol in sorted({r["protocol"] for r in ROWS}):
        rows = [r for r in ROWS if r["protocol"] == protocol]
        path = tmp_path / f"{protocol}.jsonl"
        path.write_text("".join(json.dumps(r["request"]) + "\n" for r in rows))
        proc = cli("check", "--protocol", protocol, "--jsonl", str(path))
        assert proc.returncode == 0, proc.stdout
        lines = proc.stdout.splitlines()
        assert len(lines) == len(rows)
        for row, line in zip(rows, lines, strict=True):
            out = json.loads(line)
            assert meets(row["expect"], out["outcome"], {f["code"] for f in out["findings"]})
