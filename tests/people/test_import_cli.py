"""``chaperone import ...``: the thin command over the same service as the web."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chaperone.audit.models import AuditEvent
from chaperone.people.models import Household, Pupil
from tests.people.test_import_support import pupil_rows, pupils_csv, staff_csv, upn

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]


def chaperone_import(*args: str) -> str:
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.fixture
def pupils_file(tmp_path: Path) -> Path:
    path = tmp_path / "pupils.csv"
    path.write_bytes(pupils_csv())
    return path


def test_import_pupils_writes_and_reports(tenant_a, pupils_file) -> None:
    output = chaperone_import("pupils", str(pupils_file), "--school", "111111")
    assert "Pupils: 4 created, 0 updated, 0 unchanged" in output
    assert "Households: 2 created" in output
    assert Pupil.objects.filter(school=tenant_a.school, upn=upn(1)).exists()
    event = AuditEvent.objects.get(action="people.pupils_imported")
    assert (event.via, event.actor_label, event.actor_user_id) == ("cli", "System", None)

    again = chaperone_import("pupils", str(pupils_file), "--school", "111111")
    assert "Pupils: 0 created, 0 updated, 4 unchanged" in again


def test_dry_run_prints_the_preview_and_writes_nothing(tenant_a, pupils_file) -> None:
    output = chaperone_import("pupils", str(pupils_file), "--school", "111111", "--dry-run")
    assert "Pupils: 4 to create, 0 to update" in output
    assert f"create pupils {upn(1)} Chidi Okafor (line 2)" in output
    assert "Dry run: nothing was written." in output
    assert not Pupil.objects.filter(upn=upn(1)).exists()
    assert not Household.objects.filter(reference="F001").exists()
    assert not AuditEvent.objects.filter(action="people.pupils_imported").exists()


def test_invalid_rows_exit_1_and_write_nothing(tenant_a, tmp_path) -> None:
    rows = pupil_rows()
    rows[1][5] = "Year 99"
    path = tmp_path / "bad.csv"
    path.write_bytes(pupils_csv(rows))
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "pupils", str(path), "--school", "111111", stdout=out)
    assert caught.value.returncode == 1
    assert "line 3, column 'Year': Year 99 is outside Nursery to Year 14." in out.getvalue()
    assert not Pupil.objects.filter(upn__in=[upn(1), upn(2)]).exists()


def test_skip_invalid_imports_the_rest(tenant_a, tmp_path) -> None:
    rows = pupil_rows()
    rows[1][5] = "Year 99"
    path = tmp_path / "bad.csv"
    path.write_bytes(pupils_csv(rows))
    output = chaperone_import("pupils", str(path), "--school", "111111", "--skip-invalid")
    assert "1 invalid rows were skipped" in output
    assert Pupil.objects.filter(upn=upn(1)).exists()
    assert not Pupil.objects.filter(upn=upn(2)).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--school", "999999"), "No school has the URN '999999'."),
        (("--school", "111111"), "missing a required column: UPN"),
    ],
)
def test_file_level_problems_exit_2(tenant_a, tmp_path, args, message) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_csv())
    with pytest.raises(CommandError) as caught:
        call_command("import", "pupils", str(path), *args, stdout=StringIO())
    assert caught.value.returncode == 2
    assert message in str(caught.value)


def test_a_missing_file_exits_2(tenant_a, tmp_path) -> None:
    with pytest.raises(CommandError) as caught:
        call_command("import", "staff", str(tmp_path / "nope.csv"), "--school", "111111")
    assert caught.value.returncode == 2


def test_the_installed_command_in_a_subprocess(tmp_path) -> None:
    """The real ``.venv/bin/chaperone`` against its own migrated SQLite database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chaperone.config.settings.test",
        "CHAPERONE_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    chaperone = str(Path(sys.executable).parent / "chaperone")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [chaperone, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
        )

    assert run("migrate", "--verbosity", "0").returncode == 0
    made = run(
        "shell",
        "-c",
        "from chaperone.tenancy.models import School, Trust; "
        "t = Trust.objects.create(name='Gamma Trust', slug='gamma'); "
        "School.objects.create(trust=t, name='Gamma Primary', urn='333331', phase='primary')",
    )
    assert made.returncode == 0, made.stderr
    csv_path = tmp_path / "pupils.csv"
    csv_path.write_bytes(pupils_csv())

    unknown = run("import", "pupils", str(csv_path), "--school", "999999")
    assert unknown.returncode == 2
    assert "No school has the URN" in unknown.stderr

    done = run("import", "pupils", str(csv_path), "--school", "333331")
    assert done.returncode == 0, done.stderr
    assert "Pupils: 4 created" in done.stdout
    db = sqlite3.connect(tmp_path / "cli.sqlite3")
    assert db.execute("SELECT count(*) FROM people_pupil").fetchone() == (4,)
    assert db.execute(
        "SELECT via, actor_label FROM audit_auditevent WHERE action = 'people.pupils_imported'"
    ).fetchall() == [("cli", "System")]
    db.close()


def test_the_command_line_import_grants_no_safeguarding_role_either(tenant_a, tmp_path) -> None:
    from chaperone.people.models import StaffAssignment
    from tests.people.test_import_support import staff_rows

    rows = staff_rows()
    rows[0][6] = "Teacher; DSL"
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_csv(rows))
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "staff", str(path), "--school", "111111", stdout=out)
    assert caught.value.returncode == 1
    assert "line 2, column 'Roles': Designated safeguarding lead: " in out.getvalue()
    call_command("import", "staff", str(path), "--school", "111111", "--skip-invalid", stdout=out)
    assert not StaffAssignment.objects.filter(role="dsl").exists()
