"""Staff and parent documents: structured data, HTML, text and PDF."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from pypdf import PdfReader

from chaperone.rules import (
    build_document,
    load_template,
    render_html,
    render_pdf,
    render_text,
    template_ids,
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


@pytest.mark.parametrize("tid", template_ids())
def test_staff_document_lists_every_rule(tid):
    p = load_template(tid)
    doc = build_document(p, "staff")
    texts = [item.text for section in doc.sections for item in section.items]
    assert all(p.render(rule.text) in texts for rule in p.rules)
    assert (doc.version, doc.review) == (p.version, p.review.isoformat())


@pytest.mark.parametrize("tid", template_ids())
def test_parent_document_is_shorter_and_plain(tid):
    p = load_template(tid)
    staff, parent = build_document(p, "staff"), build_document(p, "parent")
    assert len(render_text(parent)) < len(render_text(staff))
    headings = [s.heading for s in parent.sections]
    assert headings[-1] == "Raising a concern"
    assert "headteacher" in render_text(parent)


def test_werrington_parent_leaflet_covers_the_basics():
    text = render_text(build_document(load_template("werrington-primary"), "parent"))
    for phrase in ("stay in the same room", "not recorded", "lounge or kitchen", "concern"):
        assert phrase in text


@pytest.mark.parametrize("audience", ["staff", "parent"])
def test_html_is_standalone_and_accessible(audience):
    html = render_html(build_document(load_template("habs-monmouth"), audience))
    assert html.startswith("<!doctype html>")
    assert '<html lang="en-GB">' in html
    assert "Version</dt><dd>2026.1" in html and "Review by</dt><dd>2027-09-01" in html
    parser = _Tags()
    parser.feed(html)
    assert parser.tags.count("h1") == 1 and "main" in parser.tags
    assert "script" not in parser.tags and "link" not in parser.tags


def test_html_escapes_text():
    doc = build_document(load_template("habs-monmouth"), "staff")
    assert "Haberdashers&#x27; Monmouth" in render_html(doc)


def test_unknown_audience():
    with pytest.raises(ValueError):
        build_document(load_template("habs-monmouth"), "pupil")  # type: ignore[arg-type]


@pytest.mark.parametrize("tid", template_ids())
def test_pdf_contains_title_and_version(tid):
    p = load_template(tid)
    pdf = render_pdf(build_document(p, "staff"))
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert " ".join(p.title.split()) in flat
    assert p.version in flat
