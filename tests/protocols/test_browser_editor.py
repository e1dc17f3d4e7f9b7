"""The #8 bar, in a real browser: a head builds the school's additions in the editor from the rule
library without typing TOML, sees the preview and the diff, saves, and the documents (HTML and
PDF text) show the new values and none of the old ones."""

from __future__ import annotations

import io

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from chaperone.tenancy.roles import Role
from tests.browser.helpers import enter_code, sign_in
from tests.factories import make_staff
from tests.protocols.factories import school_overlay_version, trust_version
from tests.protocols.test_browser import in_browser

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

RULE = "chaperone-recommended:school-day"
OWN_WORDS = (
    "We call pupils only in the school day, unless a parent agrees in writing and SLT approve."
)


def _pdf_text(page: Page, url: str) -> str:
    # WeasyPrint may take a while on a busy machine: wait for the PDF longer than for a page
    response = page.request.get(url, timeout=120_000)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    return " ".join(text.split())


def test_a_head_builds_additions_from_the_library(live_server, tenant_a, transactional_db) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_a.trust, "npat-one-to-one")
    school_overlay_version(tenant_a.school)
    head = make_staff(tenant_a.school, Role.HEADTEACHER)
    key = TOTPDevice.objects.create(user=head.user, name="phone", confirmed=True).bin_key
    school_id = tenant_a.school.pk

    def steps(page: Page) -> None:
        sign_in(page, head.user.username, path="/protocols/editor/")
        enter_code(page, key)
        preview = page.locator("#editor-preview")
        # 1. a rule from the library, in the school's words: no TOML anywhere
        page.get_by_text("From Chaperone recommended protocol").click()
        item = page.locator(".app-editor__libitem", has=page.locator(f'input[value="{RULE}"]'))
        expect(item).to_contain_text("Why: Contact out of hours")
        item.locator(f'input[value="{RULE}"]').check()
        expect(preview.locator("#preview-diff")).to_contain_text("+ rule school-day")
        item.get_by_text("Write it in your words").click()
        item.get_by_label("The rule in your words").fill(OWN_WORDS)
        page.get_by_label("Version label").focus()  # leaving the box is a change
        expect(preview.locator("#preview-staff")).to_contain_text(OWN_WORDS)
        expect(preview.locator("#preview-staff")).to_contain_text("08:30 to 17:30")
        with page.expect_navigation():
            page.get_by_role("button", name="Save as a new version").click()
        expect(page.locator("body")).to_contain_text("Version 2026.2 is saved and now in force")

        # 2. the new rule's hours, narrowed: the school day now ends at 16:00
        page.goto("/protocols/editor/")
        page.get_by_label("The school day: closes").fill("16:00")
        page.get_by_label("Version label").focus()
        expect(preview.locator("#preview-diff")).to_contain_text("end: 17:30 → 16:00")
        expect(preview.locator("#preview-staff")).to_contain_text("08:30 to 16:00")
        with page.expect_navigation():
            page.get_by_role("button", name="Save as a new version").click()
        expect(page.locator("body")).to_contain_text("Version 2026.3 is saved")

        # 3. the documents follow, in HTML and in PDF, with nothing stale
        page.goto("/protocols/")
        staff_html = " ".join(page.locator("main").inner_text().split())
        staff_pdf = _pdf_text(page, f"/protocols/schools/{school_id}/staff.pdf")
        for text in (staff_html, staff_pdf):
            assert "08:30 to 16:00" in text and "17:30" not in text
            assert "unless a parent agrees in writing" in text
        page.goto("/protocols/parent/")
        parent_html = " ".join(page.locator("main").inner_text().split())
        parent_pdf = _pdf_text(page, f"/protocols/schools/{school_id}/parent.pdf")
        for text in (parent_html, parent_pdf):
            assert "school day" in text and "17:30" not in text

    in_browser(live_server.url, steps)
