"""Protocol documents for staff and parents, as data and as standalone HTML, text or PDF.

:func:`build_document` gives a :class:`Document` (sections of items) that the Django app can render
with its own templates; :func:`render_html` / :func:`render_text` / :func:`render_pdf` render it
without Django. The parent version is short and written for families; the staff version lists
every rule, grouped by what it means for a call.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from .protocol import Protocol

Audience = Literal["staff", "parent"]

PLATFORM_NAMES = {
    "teams": "Microsoft Teams",
    "zoom": "Zoom",
    "meet": "Google Meet",
    "phone": "telephone",
    "other": "other platforms",
}
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


@dataclass(frozen=True)
class Item:
    text: str
    detail: str | None = None
    label: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class Section:
    heading: str
    items: tuple[Item, ...]
    intro: str | None = None


@dataclass(frozen=True)
class Document:
    protocol_id: str
    audience: str
    title: str
    owner: str
    version: str
    effective: str
    review: str
    summary: str | None
    sections: tuple[Section, ...]


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _days(days: Sequence[str]) -> str:
    order = list(DAY_NAMES)
    idx = sorted(order.index(d) for d in days)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{DAY_NAMES[order[idx[0]]]} to {DAY_NAMES[order[idx[-1]]]}"
    return ", ".join(DAY_NAMES[order[i]] for i in idx)


def _platforms(p: Protocol) -> str:
    return _join([PLATFORM_NAMES[x] for x in p.platforms])


def _staff_sections(p: Protocol) -> list[Section]:
    basics = [Item(f"Approved platforms: {_platforms(p)}.")]
    for name, w in p.windows.items():
        title = w.description or name.replace("_", " ").capitalize()
        basics.append(Item(f"{title}: {w.start} to {w.end}, {_days(w.days)} ({p.time_zone})."))
    if p.retention_days:
        basics.append(Item(f"Recordings and call logs are kept for {p.retention_days} days."))
    sections = [Section("Platforms, hours and records", tuple(basics))]
    groups = (
        (
            "refuse",
            "What stops a call",
            "A call that breaks one of these cannot go ahead as planned.",
        ),
        ("pending", "Steps before the call", "Complete these before the call starts."),
        ("info", "Checklist during the call", None),
    )
    for effect, heading, intro in groups:
        items = tuple(
            Item(
                text=r.text,
                detail=(f"To fix: {r.remedy}" if r.remedy and effect != "info" else None),
                label=r.label,
                code=r.code,
            )
            for r in p.rules
            if r.effect == effect
        )
        if items:
            sections.append(Section(heading, items, intro))
    codes = tuple(Item(f"{code}: {meaning}", code=code) for code, meaning in p.all_codes().items())
    sections.append(Section("Finding codes", codes))
    return sections


def _parent_sections(p: Protocol) -> list[Section]:
    notes = [Item(r.parent) for r in p.rules if r.parent]
    seen: set[str] = set()
    unique = []
    for note in notes:
        if note.text not in seen:
            seen.add(note.text)
            unique.append(note)
    covered = any(r.parent for r in p.rules if r.code == "PLATFORM_NOT_APPROVED")
    platforms = Item(f"Calls take place on {_platforms(p)}, set up by the school.")
    expect = [] if covered else [platforms]
    return [
        Section("What to expect and what we ask of you", tuple(expect + unique)),
        Section(
            "Raising a concern",
            (
                Item(
                    "If anything about a call worries you, contact the school's designated "
                    "safeguarding lead."
                ),
                Item("If your worry is about a member of staff, tell the headteacher directly."),
                Item("If you think a child is in immediate danger, call 999."),
            ),
        ),
    ]


def build_document(protocol: Protocol, audience: Audience = "staff") -> Document:
    """The protocol as a document for ``staff`` (every rule) or ``parent`` (short, for families)."""
    if audience not in ("staff", "parent"):
        raise ValueError(f"unknown audience {audience!r}")
    if audience == "staff":
        sections, summary = _staff_sections(protocol), protocol.summary
    else:
        sections = _parent_sections(protocol)
        summary = (
            f"How {protocol.owner.name} keeps video calls with your child safe, "
            "and what we ask of you."
        )
    return Document(
        protocol_id=protocol.id,
        audience=audience,
        title=protocol.title if audience == "staff" else f"{protocol.title}: a guide for parents",
        owner=protocol.owner.name,
        version=protocol.version,
        effective=protocol.effective.isoformat(),
        review=protocol.review.isoformat(),
        summary=" ".join((summary or "").split()) or None,
        sections=tuple(sections),
    )


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:#0b0c0c;
background:#fff;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;font-size:1.05rem}
h1{font-size:1.8rem;line-height:1.2;margin-bottom:.5rem}h2{font-size:1.3rem;margin-top:2rem;
border-bottom:2px solid #0b0c0c;padding-bottom:.2rem}dl.meta{display:grid;
grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}dl.meta dt{font-weight:700}
dl.meta dd{margin:0}li{margin:.4rem 0}.label{font-weight:700;display:block}.detail{color:#484949}
.summary{font-size:1.15rem}footer{margin-top:3rem;font-size:.9rem;color:#484949}
@media print{body{margin:0;max-width:none}}
"""


def render_html(document: Document) -> str:
    """A standalone, accessible HTML page (inline CSS, no scripts, no external resources)."""
    e = escape
    parts = [
        "<!doctype html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(document.title)} (version {e(document.version)})</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{e(document.title)}</h1>",
        '<dl class="meta">',
        f"<dt>From</dt><dd>{e(document.owner)}</dd>",
        f"<dt>Version</dt><dd>{e(document.version)}</dd>",
        f"<dt>In force from</dt><dd>{e(document.effective)}</dd>",
        f"<dt>Review by</dt><dd>{e(document.review)}</dd>",
        "</dl>",
        "</header>",
        "<main>",
    ]
    if document.summary:
        parts.append(f'<p class="summary">{e(document.summary)}</p>')
    for section in document.sections:
        parts.append("<section>")
        parts.append(f"<h2>{e(section.heading)}</h2>")
        if section.intro:
            parts.append(f"<p>{e(section.intro)}</p>")
        parts.append("<ul>")
        for item in section.items:
            body = f'<span class="label">{e(item.label)}</span>' if item.label else ""
            body += e(item.text)
            if item.detail:
                body += f'<br><span class="detail">{e(item.detail)}</span>'
            parts.append(f"<li>{body}</li>")
        parts.append("</ul>")
        parts.append("</section>")
    parts += [
        "</main>",
        f"<footer>{e(document.title)}: version {e(document.version)}, "
        f"review by {e(document.review)}.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def render_text(document: Document, width: int = 88) -> str:
    """Plain text, wrapped to ``width`` columns."""
    out = [document.title, "=" * min(len(document.title), width)]
    out.append(
        f"From {document.owner}. Version {document.version}, in force from "
        f"{document.effective}, review by {document.review}."
    )
    if document.summary:
        out += ["", textwrap.fill(document.summary, width)]
    for section in document.sections:
        out += ["", section.heading, "-" * len(section.heading)]
        if section.intro:
            out.append(textwrap.fill(section.intro, width))
        for item in section.items:
            text = f"{item.label}: {item.text}" if item.label else item.text
            out.append(textwrap.fill(text, width, initial_indent="* ", subsequent_indent="  "))
            if item.detail:
                out.append(
                    textwrap.fill(item.detail, width, initial_indent="  ", subsequent_indent="  ")
                )
    return "\n".join(out) + "\n"


def render_pdf(document: Document) -> bytes:
    """The HTML rendering as PDF bytes (WeasyPrint; no network, no files)."""
    from weasyprint import HTML  # imported lazily: slow to import and only needed here

    pdf = HTML(string=render_html(document)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
