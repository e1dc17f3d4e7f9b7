"""The compiled snapshot of the shipped templates (``templates/compiled.json``, :mod:`snapshot`).

``chaperone check`` decides shipped templates from it without loading TOML or pydantic, so it
must say exactly what the templates say: it is current, it equals the templates' specs, the
engine built from it decides as the plain interpreter does, and a stale one is never used.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaperone.rules import load_template, parse_request, template_ids
from chaperone.rules import snapshot as snap
from tests.rules import reference
from tests.rules.helpers import REPO
from tests.rules.strategies import requests

STALE = "the compiled snapshot is stale: run `python -m chaperone.rules.snapshot` and commit it"


def test_the_snapshot_is_current():
    data = json.loads(snap.SNAPSHOT.read_text("utf-8"))
    assert data["fingerprint"] == snap.fingerprint(), STALE
    assert data == snap.build(), STALE


@pytest.mark.parametrize("tid", template_ids())
def test_snapshot_specs_equal_the_loaded_templates(tid):
    compiled = snap.compiled_template(tid)
    assert compiled is not None, STALE
    assert compiled.findings == load_template(tid).compiled.findings


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=requests(), tid=st.sampled_from(template_ids()))
def test_the_snapshot_decides_as_the_plain_interpreter(data, tid):
    compiled = snap.compiled_template(tid)
    assert compiled is not None, STALE
    request = parse_request(data)
    protocol = load_template(tid)
    decision = compiled.decide(request)
    assert decision.to_dict() == reference.decision(protocol, request)
    assert compiled.line_of(compiled.fired(request)) == decision.json_line()


def test_a_stale_snapshot_is_not_used(tmp_path, monkeypatch):
    data = json.loads(snap.SNAPSHOT.read_text("utf-8"))
    data["fingerprint"] = "0" * 64
    data["templates"]["habs-monmouth"]["rules"] = []  # would allow everything
    stale = tmp_path / "compiled.json"
    stale.write_text(json.dumps(data))
    monkeypatch.setattr(snap, "SNAPSHOT", stale)
    snap._current.cache_clear()
    snap.compiled_template.cache_clear()
    try:
        assert snap.compiled_template("habs-monmouth") is None
    finally:
        snap._current.cache_clear()
        snap.compiled_template.cache_clear()


def test_jsonl_on_a_shipped_template_never_imports_pydantic(tmp_path):
    path = tmp_path / "requests.jsonl"
    line = json.dumps(
        {"at": "2026-11-24T10:00:00+00:00", "kind": "group", "purpose": "teaching",
         "platform": "teams", "staff": [{"role": "teacher"}],
         "pupils": [{"age": 7, "vulnerable": False, "has_ehcp": False}]}
    )  # fmt: skip
    path.write_text(line + "\n")
    code = (
        "import sys\n"
        "from chaperone.cli import main\n"
        f"rc = main(['check', '--protocol', 'werrington-primary', '--jsonl', {str(path)!r}])\n"
        "assert rc == 0, rc\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'tomllib'))\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert '"outcome"' in proc.stdout
