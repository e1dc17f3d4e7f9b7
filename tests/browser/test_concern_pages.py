"""The DSL's concern pages in the browser: a child's chronology (filtered, a bad date named),
sending a child protection file (seal, sent, receipt) and importing one, the safeguarding
dashboard with its drill-down, and the htmx correction of who a concern is about."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.concerns import services
from chaperone.concerns.categories import categories_for
from chaperone.concerns.models import Concern, FileTransfer, PupilRole, TransferStatus
from chaperone.people.actors import actor_for_user
from chaperone.tenancy.roles import Role
from tests.browser.a11y import check_page_basics
from tests.browser.helpers import enter_code, sign_in
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def heron(transactional_db):  # type: ignore[no-untyped-def]
    trust = TrustFactory(name="Heron Trust")
    school = SchoolFactory(trust=trust, name="Heron Primary", urn="515151")
    teacher = make_staff(school, Role.TEACHER, first_name="Tara", last_name="Quill")
    dsl = make_staff(school, Role.DSL, first_name="Dina", last_name="Marsh")
    milo = PupilFactory(school=school, first_name="Milo", last_name="Brook", year_group=3)
    ivy = PupilFactory(school=school, first_name="Ivy", last_name="Fenn", year_group=4)
    cats = {c.code: c for c in categories_for(school)}
    raised = []
    for summary, code, pupil in [
        ("Milo came in hungry and said there was no tea at home.", "neglect", milo),
        ("Milo said someone online asked for photos of him.", "online_safety", milo),
        ("Milo was hungry again and wore the same clothes all week.", "neglect", milo),
    ]:
        raised.append(
            services.concern_raise(
                actor=actor_for_user(teacher.user),
                school=school,
                pupils_with_roles=[(pupil, PupilRole.SUBJECT)],
                summary=summary,
                category=cats[code],
            )
        )
    return school, dsl, milo, ivy, raised


def _as_dsl(page: Page, dsl, path: str) -> None:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.create(user=dsl.user, name="phone", confirmed=True)
    sign_in(page, dsl.user.username, path=path)
    enter_code(page, device.bin_key)


def test_the_chronology_filters_and_names_a_bad_date(page: Page, heron) -> None:  # type: ignore[no-untyped-def]
    _school, dsl, milo, _ivy, _raised = heron
    _as_dsl(page, dsl, f"/concerns/pupils/{milo.pk}/chronology/")
    check_page_basics(page, "Chronology: Milo Brook")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(3)
    page.get_by_label("Category").select_option(label="Online safety")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("asked for photos")
    # a date range that ends before it starts is refused by name, the filter kept
    page.get_by_role("textbox", name="From").fill("2026-06-10")
    page.get_by_role("textbox", name="To").fill("2026-06-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem with the filter")
    expect(page.get_by_label("Category")).to_have_value("online_safety")


def test_the_dsl_seals_sends_and_records_receipt_of_a_file(page: Page, heron) -> None:  # type: ignore[no-untyped-def]
    _school, dsl, milo, _ivy, _raised = heron
    _as_dsl(page, dsl, "/concerns/transfers/new/")
    check_page_basics(page, "Send a leaving pupil's child protection file")
    page.get_by_label("Pupil who is leaving").select_option(value=str(milo.pk))
    page.get_by_label("Leaving date").fill("2026-10-21")
    page.get_by_label("New school", exact=True).fill("Kestrel Academy")
    # a bad URN is named and what was typed stays
    page.get_by_label("New school's URN").fill("12ab")
    with page.expect_navigation():
        page.get_by_role("button", name="Seal the bundle").click()
    expect(page.locator("main")).to_contain_text("six digits")
    expect(page.get_by_label("New school", exact=True)).to_have_value("Kestrel Academy")
    page.get_by_label("New school's URN").fill("626262")
    with page.expect_navigation():
        page.get_by_role("button", name="Seal the bundle").click()
    check_page_basics(page, "Child protection file: Milo Brook")
    expect(page.locator("main")).to_contain_text("Wednesday 28 October 2026")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the sealed bundle").click()
    assert download.value.suggested_filename.endswith(".zip")
    with page.expect_navigation():
        page.get_by_role("button", name="Record that it was sent").click()
    page.get_by_label("Who confirmed receipt (name and role)").fill("Kim Reed, DSL")
    page.get_by_label("On which day").fill(dt.date.today().isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Record receipt").click()
    t = FileTransfer.objects.get()
    assert t.status == TransferStatus.RECEIVED and t.concern_count == 3
    with page.expect_navigation():
        page.goto("/concerns/transfers/")
    check_page_basics(page, "Child protection files")
    expect(page.locator("main")).to_contain_text("Milo Brook")


def test_the_dashboard_and_its_drill_down(page: Page, heron) -> None:  # type: ignore[no-untyped-def]
    _school, dsl, _milo, _ivy, _raised = heron
    _as_dsl(page, dsl, "/concerns/dashboard/")
    # the chart's data table, the chart's text alternative, opened (a closed <details> hides
    # the text of its links from the page check)
    page.get_by_text("The chart's figures as a table").click()
    check_page_basics(page, "Safeguarding dashboard")
    table = page.get_by_role(
        "table", name="Open concerns by category and by how long they have been open"
    )
    expect(table.get_by_role("row", name="Neglect")).to_contain_text("2")
    expect(page.locator("main svg").first).to_be_visible()
    # each bar of the chart is a link named by its week and count (it was nameless)
    expect(page.locator("main svg a[aria-label^='Week of']").last).to_have_attribute(
        "aria-label", re.compile(r"^Week of .*: 3 concerns$")
    )
    expect(page.locator("main")).to_contain_text("Milo Brook")  # three concerns this year
    with page.expect_navigation():
        page.get_by_role("link", name="3", exact=True).first.click()
    check_page_basics(page, "Open concerns")
    expect(page.locator("main")).to_contain_text("3 rows.")


def test_correcting_the_pupils_through_htmx(page: Page, heron) -> None:  # type: ignore[no-untyped-def]
    _school, dsl, milo, ivy, raised = heron
    concern = raised[1]
    _as_dsl(page, dsl, f"/concerns/{concern.pk}/correct/pupils/")
    check_page_basics(page, "Correct who the concern is about")
    page.get_by_label("Pupil 1", exact=True).select_option(label="Ivy Fenn (Year 4)")
    # no reason: the form comes back in place (htmx), the choice kept, the field named
    page.get_by_role("button", name="Correct the pupils").click()
    expect(page.locator("#correct-pupils")).to_contain_text("Reason: say why it is corrected.")
    expect(page.get_by_label("Pupil 1", exact=True)).to_have_value(str(ivy.pk))
    page.get_by_label("Why it is corrected").fill("It was Ivy who was asked, not Milo.")
    with page.expect_navigation():
        page.get_by_role("button", name="Correct the pupils").click()
    expect(page.locator("h1")).to_contain_text("Concern raised")
    expect(page.locator("main")).to_contain_text("Ivy Fenn")
    assert [link.pupil_id for link in Concern.objects.get(pk=concern.pk).pupil_links.all()] == [
        ivy.pk
    ]
    assert milo.pk != ivy.pk
