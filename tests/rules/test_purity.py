"""The engine stays pure: importing it (and its CLI) never imports Django."""

from __future__ import annotations

import subprocess
import sys

from tests.rules.helpers import REPO


def test_engine_and_cli_do_not_import_django():
    code = (
        "import sys\n"
        "import chaperone.rules, chaperone.rules.cli\n"
        "from chaperone.rules import load_template, template_ids\n"
        "[load_template(t) for t in template_ids()]\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not bad, bad\n"
        "print('pure')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "pure"


def test_check_command_does_not_import_django():
    code = (
        "import sys, io, json\n"
        "from chaperone.cli import main\n"
        "sys.stdin = io.TextIOWrapper(io.BytesIO(b'{}'))\n"
        "rc = main(['protocols', 'list'])\n"
        "assert rc == 0\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_deciding_a_request_through_the_cli_does_not_import_django(tmp_path):
    request = tmp_path / "request.json"
    request.write_text(
        '{"at": "2026-11-24T10:00:00+00:00", "kind": "group", "purpose": "teaching",'
        ' "platform": "teams", "staff": [{"role": "teacher"}],'
        ' "pupils": [{"age": 7, "vulnerable": false, "has_ehcp": false}]}'
    )
    code = (
        "import sys\n"
        "from chaperone.cli import main\n"
        f"rc = main(['check', '--protocol', 'werrington-primary', {str(request)!r}])\n"
        "assert rc == 0, rc\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert '"outcome"' in proc.stdout
