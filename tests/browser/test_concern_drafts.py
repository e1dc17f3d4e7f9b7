"""The raise form in the browser: what is typed is saved as a draft while typing, kept in the
browser when the connection drops, restored on the next visit; the body map takes marks with
notes; Esc hides the screen at once. No inline script (the CSP watch of every page)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from chaperone.concerns.models import Concern, ConcernDraft
from chaperone.tenancy.roles import Role
from tests.browser.helpers import sign_in
from tests.factories import PupilFactory, SchoolFactory, TrustFactory, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_draft_survives_a_lost_connection_and_the_body_map_is_kept(page: Page) -> None:
    school = SchoolFactory(trust=TrustFactory(name="Lapwing Trust"), name="Lapwing Primary")
    teacher = make_staff(school, Role.TEACHER, first_name="Tom", last_name="Birch")
    make_staff(school, Role.DSL)
    PupilFactory(school=school, first_name="Ivy", last_name="Reed", year_group=2)

    sign_in(page, teacher.user.username, path="/concerns/new/")
    page.get_by_label("What you saw or heard").fill("Ivy has a bruise on her back.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=15_000)
    assert ConcernDraft.objects.get().data["summary"] == "Ivy has a bruise on her back."

    # the connection drops: the server cannot save, the browser keeps what is typed
    page.context.set_offline(True)
    page.get_by_label("What the child said").fill("Daddy was cross.")
    expect(page.locator("#draft-status")).to_contain_text("browser", timeout=15_000)
    page.context.set_offline(False)
    page.goto("/concerns/new/")
    expect(page.get_by_label("What the child said")).to_have_value("Daddy was cross.")
    expect(page.get_by_label("What you saw or heard")).to_have_value(
        "Ivy has a bruise on her back."
    )

    # the body map: a mark on the back outline, described
    page.get_by_text("Body map (optional)").click()
    page.locator("svg[data-side='back']").click(position={"x": 70, "y": 90})
    page.get_by_label("Back, mark 1: what you saw").fill("Round bruise, 3 cm")
    page.get_by_label("Pupil 1", exact=True).select_option(label="Ivy Reed (Year 2)")

    # Esc hides the screen at once, and brings it back
    page.keyboard.press("Escape")
    expect(page.locator("#concerns-cover")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#concerns-cover")).to_be_hidden()

    with page.expect_navigation():
        page.get_by_role("button", name="Send to the safeguarding team").click()
    concern = Concern.objects.get()
    assert concern.childs_words == "Daddy was cross."
    (mark,) = concern.body_map
    assert mark["side"] == "back" and mark["note"] == "Round bruise, 3 cm"
    assert 0 < mark["x"] < 100 and 0 < mark["y"] < 100
    # the local copy is cleared once the concern is sent
    page.goto("/concerns/new/")
    stored = page.evaluate("() => JSON.stringify(Object.keys(localStorage))")
    assert not [k for k in json.loads(stored) if k.startswith("concern-draft-")]
