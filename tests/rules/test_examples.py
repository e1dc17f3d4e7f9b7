"""Every public example of the ``chaperone check`` contract, in process and through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.rules.helpers import EXAMPLES, cli, codes, examples, meets, run, shared_examples

ROWS = examples()


def test_local_copy_matches_the_contract():
    shared = shared_examples()
    if shared is None:
        # In CI the clone has shared/ beside it: a missing file there is a broken checkout.
        assert not os.environ.get("CI"), "shared/contracts/examples.jsonl not found beside the repo"
        pytest.skip("shared contracts not present")
    assert EXAMPLES.read_text() == shared.read_text()


def test_shared_examples_found_beside_the_repo_or_one_level_up(tmp_path: Path):
    contract = tmp_path / "shared" / "contracts" / "examples.jsonl"
    contract.parent.mkdir(parents=True)
    contract.write_text("{}\n")
    assert shared_examples(tmp_path / "repo") == contract
    assert shared_examples(tmp_path / "wt" / "repo") == contract
    assert shared_examples(tmp_path / "a" / "b" / "repo") is None


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
