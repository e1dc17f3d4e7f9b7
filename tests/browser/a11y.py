"""Accessibility basics every page of the shell must meet, checked in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import h1

#: Form controls a person can reach that have no label (by <label>, aria-label or -labelledby).
UNLABELLED_CONTROLS_JS = """
() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.disabled)
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)
"""
#: aria-describedby / aria-labelledby references to ids that are not on the page.
DANGLING_REFERENCES_JS = """
() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')]
  .flatMap(el => ['aria-describedby', 'aria-labelledby']
    .flatMap(attr => (el.getAttribute(attr) || '').split(/\\s+/).filter(Boolean))
    .filter(id => !document.getElementById(id)))
"""
DUPLICATE_IDS_JS = """
() => {
  const seen = new Map();
  document.querySelectorAll('[id]').forEach(el => seen.set(el.id, (seen.get(el.id) || 0) + 1));
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}
"""
UNNAMED_BUTTONS_JS = """
() => [...document.querySelectorAll('button, a[href]')]
  .filter(el => !(el.innerText || '').trim() && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML)
"""

#: Opening tag of the first element Tab can reach, in document order (no positive tabindex here).
FIRST_FOCUSABLE_JS = """
() => {
  const el = [...document.querySelectorAll(
      'a[href], button, input, select, textarea, summary, [tabindex]')]
    .find(e => e.tabIndex >= 0 && !e.disabled && e.type !== 'hidden');
  return el ? el.outerHTML.slice(0, el.outerHTML.indexOf('>') + 1) : null;
}
"""
#: Put the keyboard's starting point back at the top of the document, as on a fresh visit
#: (the sign-in page focuses the username box on load).
TO_TOP_OF_PAGE_JS = """
() => {
  window.scrollTo(0, 0);
  document.body.tabIndex = -1;
  document.body.focus();
  document.body.removeAttribute('tabindex');
}
"""


def _active(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => ({id: document.activeElement.id, cls: document.activeElement.className,"
        " tag: document.activeElement.tagName})"
    )


def check_page_basics(page: Page, title: str) -> None:
    """Language, one h1 saying ``title``, labelled controls, sound references, skip link."""
    # Called straight after a click that navigates: wait for the new page's heading first, so
    # nothing below runs against the old document or between the two.
    expect(page.locator("h1").first).to_have_text(title)
    page.wait_for_load_state("domcontentloaded")
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    assert page.locator("h1").count() == 1, "a page has exactly one h1"
    assert h1(page) == title
    assert page.evaluate(UNLABELLED_CONTROLS_JS) == []
    assert page.evaluate(DANGLING_REFERENCES_JS) == []
    assert page.evaluate(DUPLICATE_IDS_JS) == []
    assert page.evaluate(UNNAMED_BUTTONS_JS) == []
    assert page.locator("main#main-content").count() == 1
    assert page.locator("header[role=banner], header").count() >= 1

    # The skip link is the first thing in the tab order...
    assert page.evaluate(FIRST_FOCUSABLE_JS) == '<a href="#main-content" class="skip-link">'
    # ...so from the top of the page the first Tab lands on it, and it shows on screen.
    page.evaluate(TO_TOP_OF_PAGE_JS)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Skip to main content")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "focused skip link is off screen"
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()
    # The next Tab continues inside the main content, past the header and navigation.
    page.keyboard.press("Tab")
    inside = page.evaluate(
        "document.getElementById('main-content').contains(document.activeElement)"
    )
    assert inside, f"Tab after the skip link left the main content: {_active(page)}"
