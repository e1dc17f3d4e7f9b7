"""People see their own school's pupils only; trust staff switch schools; live search."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from chaperone.people.models import Pupil
from chaperone.tenancy.roles import Role
from tests.browser.helpers import at, enter_code, h1, sign_in
from tests.conftest import Tenant
from tests.factories import PupilFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _pupil_names(page: Page) -> list[str]:
    links = page.locator("#pupil-results tbody td:first-child a")
    return [name.strip() for name in links.all_inner_texts()]


def test_teacher_sees_own_school_and_a_404_for_another_trusts_pupil(
    page: Page, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    teacher = make_staff(tenant_a.school, Role.TEACHER)
    other_trusts_pupil = Pupil.objects.get(school=tenant_b.school)

    sign_in(page, teacher.user.username)
    assert h1(page) == "Dashboard"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pupils").click()
    assert h1(page) == "Pupils"
    assert _pupil_names(page) == ["Ada Alphaone"]
    body = page.locator("body").inner_text()
    for marker in ("Betaone", "Beta Independent", "Alphatwo"):
        assert marker not in body
    # No switcher: a teacher of one school just sees its name.
    assert page.locator("#school-switcher").count() == 0
    expect(page.locator(".app-header__school")).to_have_text("Alpha Primary")

    response = page.goto(f"/people/pupils/{other_trusts_pupil.pk}/")
    assert response is not None and response.status == 404
    assert h1(page) == "Page not found"
    assert "Betaone" not in page.locator("body").inner_text()
    missing = page.goto("/people/pupils/987654321/")
    assert missing is not None and missing.status == 404
    assert h1(page) == "Page not found"


def test_trust_admin_switches_between_the_trusts_schools(
    page: Page, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    admin = make_staff(None, Role.TRUST_ADMIN, trust=tenant_a.trust)
    device = TOTPDevice.objects.create(user=admin.user, name="phone", confirmed=True)

    sign_in(page, admin.user.username, path="/people/pupils/")
    assert h1(page) == "Enter the code from your authenticator app"
    # Before the second step nothing but "Sign out": no schools, no navigation.
    assert page.locator("#school-switcher, nav.app-nav").count() == 0
    expect(page.get_by_role("button", name="Sign out").first).to_be_visible()
    enter_code(page, device.bin_key)
    expect(page).to_have_url(at("/people/pupils/"))

    switcher = page.get_by_label("School", exact=True)
    options = [o.strip() for o in switcher.locator("option").all_inner_texts()]
    assert options == ["Alpha Primary", "Alpha Secondary"]  # never the other trust's school

    for school, pupil, absent in (
        ("Alpha Secondary", "Abe Alphatwo", "Ada Alphaone"),
        ("Alpha Primary", "Ada Alphaone", "Abe Alphatwo"),
    ):
        switcher.select_option(label=school)
        page.get_by_role("button", name="Switch").click()
        expect(page).to_have_url(at("/people/pupils/"))
        expect(page.get_by_role("status")).to_have_text(f"You are now working in {school}.")
        expect(page.locator("main .govuk-caption-l")).to_have_text(school)
        assert _pupil_names(page) == [pupil]
        assert absent not in page.locator("main").inner_text()
        assert "Betaone" not in page.locator("body").inner_text()


def test_live_search_filters_pupils_without_reloading_the_page(
    page: Page, tenant_a: Tenant
) -> None:
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Katherine", "Johnson")):
        PupilFactory(school=tenant_a.school, first_name=first, last_name=last)
    teacher = make_staff(tenant_a.school, Role.TEACHER)

    sign_in(page, teacher.user.username, path="/people/pupils/")
    assert h1(page) == "Pupils"
    expect(page.get_by_test_id("pupil-count")).to_have_text("4 pupils")
    page.evaluate("window.__sameDocument = true")

    page.locator("#q").press_sequentially("hopp", delay=30)
    expect(page).to_have_url(re.compile(r"[?&]q=hopp(&|$)"))
    expect(page.get_by_test_id("pupil-count")).to_have_text("1 pupil")
    assert _pupil_names(page) == ["Grace Hopper"]
    assert page.evaluate("window.__sameDocument") is True, "the search reloaded the whole page"
    assert h1(page) == "Pupils"  # the fragment replaced the results only, not the page

    page.locator("#q").fill("nobody-like-this")
    expect(page.get_by_test_id("pupil-count")).to_have_text("0 pupils")
    expect(page.locator("#pupil-results")).to_contain_text("No pupils match.")

    # The pushed URL is a real page: opening it fresh shows the same filtered list.
    page.goto("/people/pupils/?q=turing")
    assert _pupil_names(page) == ["Alan Turing"]
    expect(page.locator("#q")).to_have_value("turing")
