"""PDFs of the concerns app (a child's chronology, the governors' report, the transfer file):
HTML templates rendered by weasyprint with the app's print stylesheet, as tagged PDFs (the
structure a screen reader follows), without network access."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

PDF_STYLESHEET = "concerns/print.css"


def render(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import CSS, HTML  # slow to import; only needed here

    html = render_to_string(template, context)
    stylesheet = finders.find(PDF_STYLESHEET)
    sheets = [CSS(filename=stylesheet)] if isinstance(stylesheet, str) else []
    pdf = HTML(string=html, base_url=None).write_pdf(stylesheets=sheets, pdf_tags=True)
    assert pdf is not None
    return bytes(pdf)


def safe_filename(raw: str) -> str:
    """``raw`` with anything but letters, digits, dots, dashes and underscores made a dash (safe
    in a Content-Disposition header)."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw)
