"""Bad or oversized import files are refused with a message, never a 500 (security review
MEDIUM 7 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chaperone.people.importers import FileProblem, reading
from chaperone.people.models import Pupil, Role
from chaperone.people.services import people_import, people_import_preview
from chaperone.tenancy.policies import SYSTEM
from tests.people.test_import_support import pupil_rows, pupils_csv, upn

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def with_nul_after_4_kb() -> bytes:
    """A valid file whose 30th data row carries a NUL in a surname, well past the first 4 KB."""
    rows = [
        [upn(i), "Smith", "Jo", "", "01/09/2015", "5", "", "", "", "", "", ""]
        for i in range(1, 200)
    ]
    rows[150][1] = "Sm\x00ith"
    data = pupils_csv(rows)
    assert data.index(b"\x00") > 4096
    return data


def test_a_nul_anywhere_in_the_file_is_refused(tenant_a) -> None:
    """MEDIUM 8: only the first 4 KB were searched; PostgreSQL then failed on confirm (500)."""
    with pytest.raises(FileProblem) as caught:
        people_import(
            actor=SYSTEM, school=tenant_a.school, kind="pupils", data=with_nul_after_4_kb()
        )
    assert "binary data" in caught.value.message
    assert "line 152" in caught.value.message
    assert not Pupil.objects.filter(upn=upn(1)).exists()


def test_a_nul_in_utf16_text_is_refused(tenant_a) -> None:
    data = "UPN,Surname,Forename,DOB,Year\r\nA,B\x00,C,01/01/2016,3\r\n".encode("utf-16")
    with pytest.raises(FileProblem, match="line 2"):
        people_import_preview(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=data)


def test_the_web_upload_with_a_late_nul_is_a_message(tenant_a, login_as) -> None:
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    response = client.post(
        "/people/import/",
        {"kind": "pupils", "file": SimpleUploadedFile("p.csv", with_nul_after_4_kb())},
    )
    assert response.status_code == 400
    assert "holds binary data (a NUL character on line 152)" in response.content.decode()


def test_a_file_over_the_row_limit_is_refused_naming_the_limit(tenant_a, monkeypatch) -> None:
    """MEDIUM 7: a 49 MB file (1.4 million rows) took 3.5 GB and outlived the worker. Reading now
    stops at the first row over the limit; a lower limit stands in for a huge file."""
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    with pytest.raises(FileProblem) as caught:
        people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=pupils_csv())
    assert "more than 3 data rows, the most a file may hold in one import" in caught.value.message
    assert "Split it" in caught.value.message
    assert not Pupil.objects.filter(upn=upn(1)).exists()


def test_reading_stops_at_the_first_row_over_the_limit(monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    from chaperone.people.importers.columns import COLUMNS_BY_KIND

    rows = reading.read_rows(pupils_csv(), COLUMNS_BY_KIND["pupils"]).rows
    assert [r.line for r in (next(rows), next(rows))] == [2, 3]
    with pytest.raises(FileProblem, match="more than 2 data rows"):
        next(rows)


def test_a_file_at_the_row_limit_is_imported(tenant_a, monkeypatch) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", len(pupil_rows()))
    result = people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=pupils_csv())
    assert len(result.section("Pupils").creates) == len(pupil_rows())


def test_the_web_upload_over_the_browser_limit_is_a_message(
    tenant_a, login_as, monkeypatch
) -> None:
    """In the browser the file is read, checked and written while the person waits, so the
    limit there is lower (and a larger file goes through the command line)."""
    assert reading.WEB_MAX_ROWS < reading.MAX_ROWS
    monkeypatch.setattr(reading, "WEB_MAX_ROWS", 3)
    client = login_as(tenant_a.school, Role.SCHOOL_ADMIN)
    response = client.post(
        "/people/import/", {"kind": "pupils", "file": SimpleUploadedFile("p.csv", pupils_csv())}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The file has more than 3 data rows, the most a file may hold in the browser" in body
    assert "chaperone import" in body
    assert not Pupil.objects.filter(upn=upn(1)).exists()
    # the command line keeps the higher limit
    assert people_import(actor=SYSTEM, school=tenant_a.school, kind="pupils", data=pupils_csv())
