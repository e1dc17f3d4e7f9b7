"""Protocol documents as the app shows them: the engine's document, each rule marked with where
it comes from (the trust, or the school's additions), rendered to HTML pages and PDF files."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from chaperone import rules
from chaperone.rules.document import Audience

AUDIENCES: tuple[Audience, ...] = ("staff", "parent")
PDF_STYLESHEET = "protocols/print.css"

ORIGIN_LABELS = {
    "trust": "From the trust",
    "school": "Added by the school",
    "tightened": "Made stricter by the school",
}


@dataclass(frozen=True)
class ShownItem:
    text: str
    detail: str | None
    label: str | None
    code: str | None
    origin: str | None

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS.get(self.origin or "", "")


@dataclass(frozen=True)
class ShownSection:
    heading: str
    intro: str | None
    items: tuple[ShownItem, ...]


@dataclass(frozen=True)
class ShownDocument:
    document: rules.Document
    sections: tuple[ShownSection, ...]
    marks_origin: bool
    #: reference matter kept out of the body (the finding codes the API and CLI report)
    appendix: tuple[ShownSection, ...] = ()

    @property
    def marks_school(self) -> bool:
        """Whether any item is marked as the school's (so the legend needs those marks)."""
        return any(
            item.origin in ("school", "tightened") for s in self.sections for item in s.items
        )

    @property
    def effective_date(self) -> date:
        return date.fromisoformat(self.document.effective)

    @property
    def review_date(self) -> date:
        return date.fromisoformat(self.document.review)

    def __getattr__(self, name: str) -> Any:
        # title, owner, version, effective, review, summary, protocol_id, audience
        return getattr(self.document, name)


def is_audience(value: str) -> TypeGuard[Audience]:
    """Whether ``value`` (from a URL, say) names one of the documents' readers."""
    return value in AUDIENCES


def show_document(
    protocol: rules.Protocol,
    audience: Audience = "staff",
    origin: Callable[[str], str] | None = None,
) -> ShownDocument:
    """The engine's document for ``audience``; with ``origin`` (rule id -> 'trust' | 'school' |
    'tightened'), every item that states a rule carries its origin."""
    document = rules.build_document(protocol, audience)
    sections: list[ShownSection] = []
    appendix: list[ShownSection] = []
    for section in document.sections:
        items = []
        for item in section.items:
            # Items name their rule: texts are filled from the protocol, so they need not match.
            mark = origin(item.rule_id) if (origin and item.rule_id) else None
            items.append(ShownItem(item.text, item.detail, item.label, item.code, mark))
        shown = ShownSection(section.heading, section.intro, tuple(items))
        (appendix if _lists_codes(section) else sections).append(shown)
    if document.appendix:  # the engine keeps finding codes out of the sections
        codes = tuple(ShownItem(i.text, None, None, i.code, None) for i in document.appendix)
        appendix.append(ShownSection("Finding codes", None, codes))
    return ShownDocument(
        document, tuple(sections), marks_origin=origin is not None, appendix=tuple(appendix)
    )


def _lists_codes(section: rules.document.Section) -> bool:
    """A section that only explains finding codes ("CODE: meaning"): reference, not guidance."""
    return bool(section.items) and all(
        item.code is not None and item.text.startswith(f"{item.code}:") for item in section.items
    )


def safe_filename(raw: str) -> str:
    """``raw`` with anything but letters, digits, dots, dashes and underscores made a dash, so it
    is safe in a Content-Disposition header."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)


def pdf_filename(document: rules.Document) -> str:
    return safe_filename(f"{document.protocol_id}-{document.version}-{document.audience}.pdf")


def render_pdf(shown: ShownDocument, context: dict[str, Any] | None = None) -> bytes:
    """A PDF of the document, styled by the app's print stylesheet (no network access)."""
    from weasyprint import CSS, HTML  # slow to import; only needed here

    html = render_to_string(
        "protocols/pdf.html", {"doc": shown, "origin_labels": ORIGIN_LABELS, **(context or {})}
    )
    stylesheet = finders.find(PDF_STYLESHEET)
    sheets = [CSS(filename=stylesheet)] if stylesheet else []
    pdf = HTML(string=html, base_url=None).write_pdf(stylesheets=sheets)
    assert pdf is not None
    return bytes(pdf)
