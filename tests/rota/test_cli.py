"""``chaperone rota plan`` as a real subprocess: file, standard input, --out, errors, purity."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.rota.helpers import REPO, SMALL_INPUT, cli, small_input
from tests.rota.validator import check_plan


def test_plan_from_a_file_to_standard_output():
    proc = cli("rota", "plan", str(SMALL_INPUT))
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    check_plan(small_input(), plan)
    assert b"5 households" in proc.stderr


def test_plan_from_standard_input_to_a_file(tmp_path):
    out = tmp_path / "plan.json"
    proc = cli(
        "rota", "plan", "-", "--seconds", "3", "--out", str(out), stdin=SMALL_INPUT.read_bytes()
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    check_plan(small_input(), json.loads(out.read_text()))


def test_a_plan_with_shortfalls_still_exits_0():
    proc = cli("rota", "plan", "-", stdin=SMALL_INPUT.read_bytes())
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["stats"]["unplaced"] == 1


def test_a_missing_file_and_usage_errors_exit_2(tmp_path):
    for args in (
        ("rota", "plan", str(tmp_path / "nowhere.json")),
        ("rota", "plan"),
        ("rota", "plan", str(SMALL_INPUT), "--seconds", "soon"),
        ("rota", "plan", str(SMALL_INPUT), "--seconds", "0"),
        ("rota", "shuffle"),
    ):
        proc = cli(*args)
        assert proc.returncode == 2, args
        assert "error" in json.loads(proc.stdout.decode().splitlines()[0]), args


def test_malformed_json_on_standard_input_exits_2():
    proc = cli("rota", "plan", "-", stdin=b'{"days": [')
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"]["code"] == "malformed_json"


def test_the_command_needs_neither_django_nor_ortools(tmp_path):
    out = tmp_path / "plan.json"
    code = (
        "import sys\n"
        "from chaperone.cli import main\n"
        f"status = main(['rota', 'plan', {str(SMALL_INPUT)!r}, '--out', {str(out)!r}])\n"
        "assert status == 0\n"
        "heavy = [m for m in ('django', 'ortools', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
