"""A school administrator imports pupils from an MIS export: preview, fix, confirm."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chaperone.people.models import Pupil
from chaperone.people.upn import make_upn
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import at, h1, sign_in
from tests.factories import SchoolFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

HEADER = "UPN,Legal Surname,Legal Forename,DOB,Year"


def _csv(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


def _upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("Pupils", exact=True).check()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()


def test_school_admin_fixes_a_bad_row_then_imports_pupils(page: Page) -> None:
    school = SchoolFactory(name="Hillside Primary", la_code="873")
    admin = make_staff(school, Role.SCHOOL_ADMIN)
    upns = [make_upn("873", "2001", 23, n) for n in (1, 2, 3)]
    good = [
        f"{upns[0]},Johnson,Katherine,14/05/2016,4",
        f"{upns[1]},Franklin,Rosalind,02/11/2015,5",
    ]
    bad_row = f"{upns[2]},Curie,Marie,31/02/2017,3"  # 31 February: no such date
    fixed_row = f"{upns[2]},Curie,Marie,28/02/2017,3"

    sign_in(page, admin.user.username, path="/people/import/")
    expect(page).to_have_url(at("/people/import/"))
    check_page_basics(page, "Import from your MIS")

    # First attempt: line 4 of the file (the header is line 1) has an impossible date.
    _upload(page, "pupils.csv", _csv(*good, bad_row))
    assert h1(page) == "Check the import: pupils"
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("1 row of the file has problems")
    problem = summary.get_by_role("link", name=re.compile(r"^Line 4, "))
    expect(problem).to_have_text(re.compile(r"^Line 4, DOB: .*not a real date"))
    # The link leads to the row in the problems table.
    target = problem.get_attribute("href")
    assert target and page.locator(target).count() == 1
    expect(page.locator(target)).to_contain_text("4")
    assert Pupil.objects.filter(school=school).count() == 0, "a preview saves nothing"
    check_page_basics(page, "Check the import: pupils")

    # They fix the file in their MIS and upload it again.
    page.get_by_role("link", name="Upload a different file").click()
    expect(page).to_have_url(at("/people/import/"))
    _upload(page, "pupils-fixed.csv", _csv(*good, fixed_row))
    assert h1(page) == "Check the import: pupils"
    assert page.locator(".govuk-error-summary").count() == 0
    expect(page.locator("main")).to_contain_text("3 rows read")
    counts = page.locator("table", has=page.get_by_text("What would happen"))
    pupils_row = counts.locator("tbody tr", has=page.locator("th", has_text=re.compile("^Pupils$")))
    expect(pupils_row.locator("td")).to_have_text(["3", "0", "0"])
    assert Pupil.objects.filter(school=school).count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and import").click()
    check_page_basics(page, "Import complete: pupils")
    expect(page.get_by_role("status")).to_contain_text("3")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils").click()
    assert h1(page) == "Pupils"
    expect(page.get_by_test_id("pupil-count")).to_have_text("3 pupils")
    for name in ("Katherine Johnson", "Rosalind Franklin", "Marie Curie"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
