"""Protocol documents for staff and parents, as data and as standalone HTML, text or PDF.

:func:`build_document` gives a :class:`Document` (sections of items) that the Django app can render
with its own templates; :func:`render_html` / :func:`render_text` / :func:`render_pdf` render it
without Django. The parent version is short and written for families; the staff version lists
every rule, grouped by what it means for a call.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape
from typing import Literal

from .protocol import DAY_NAMES as DAY_NAMES  # re-exported: the app names platforms and days
from .protocol import PLATFORM_NAMES as PLATFORM_NAMES
from .protocol import Protocol, day_span, join_words

Audience = Literal["staff", "parent"]


@dataclass(frozen=True)
class Item:
    text: str
    detail: str | None = None
    label: str | None = None
    code: str | None = None  # for linking to the appendix; never shown in the body
    rule_id: str | None = None  # the rule the item states, in the staff document


@dataclass(frozen=True)
class Section:
    heading: str
    items: tuple[Item, ...]
    intro: str | None = None


@dataclass(frozen=True)
class Contacts:
    """Who families and staff turn to: given by the app, which knows the school's people."""

    dsl_name: str | None = None
    dsl_contact: str | None = None  # a phone number or e-mail address
    school_contact: str | None = None  # the school office's phone number or e-mail address


@dataclass(frozen=True)
class Document:
    """A protocol as a document. ``sections`` hold the body in the audience's words (no finding
    codes); ``appendix`` (staff only) lists the codes staff may meet in the API and the CLI."""

    protocol_id: str
    audience: str
    title: str
    owner: str
    version: str
    effective: str
    review: str
    summary: str | None
    sections: tuple[Section, ...]
    appendix: tuple[Item, ...] = ()
    platforms: tuple[str, ...] = ()  # the approved platforms, by name
    retention_days: int | None = None
    contacts: Contacts = Contacts()

    @property
    def staff_only(self) -> bool:
        return self.audience == "staff"


def _platforms(p: Protocol) -> str:
    return join_words([PLATFORM_NAMES[x] for x in p.platforms])


def _staff_sections(p: Protocol) -> list[Section]:
    basics = [Item(f"Approved platforms: {_platforms(p)}.")]
    for name, w in p.windows.items():
        title = w.description or name.replace("_", " ").capitalize()
        basics.append(Item(f"{title}: {w.start} to {w.end}, {day_span(w.days)} ({p.time_zone})."))
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
        fill = p.render
        items = tuple(
            Item(
                text=fill(r.text),
                detail=(f"To fix: {fill(r.remedy)}" if r.remedy and effect != "info" else None),
                label=fill(r.label) if r.label else None,
                code=r.code,
                rule_id=r.id,
            )
            for r in p.rules
            if r.effect == effect
        )
        if items:
            sections.append(Section(heading, items, intro))
    return sections


def _appendix(p: Protocol) -> tuple[Item, ...]:
    return tuple(Item(f"{code}: {meaning}", code=code) for code, meaning in p.all_codes().items())


def _concern_items(contacts: Contacts) -> tuple[Item, ...]:
    dsl = "the school's designated safeguarding lead"
    if contacts.dsl_name:
        dsl += f", {contacts.dsl_name}"
    if contacts.dsl_contact:
        dsl += f" ({contacts.dsl_contact})"
    school = f" on {contacts.school_contact}" if contacts.school_contact else ""
    return (
        Item(f"If anything about a call worries you, contact {dsl}."),
        Item(f"If your worry is about a member of staff, tell the headteacher directly{school}."),
        Item("If you think a child is in immediate danger, call 999."),
    )


def _parent_sections(p: Protocol, contacts: Contacts) -> list[Section]:
    notes = [Item(p.render(r.parent)) for r in p.rules if r.parent]
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
        Section("Raising a concern", _concern_items(contacts)),
    ]


def build_document(
    protocol: Protocol, audience: Audience = "staff", *, contacts: Contacts | None = None
) -> Document:
    """The protocol as a document for ``staff`` (every rule) or ``parent`` (short, for families).

    Rule texts are filled from the protocol's fields (``{retention_days}``, ``{platforms}`` ...),
    so the document never states two values for one setting.
    """
    if audience not in ("staff", "parent"):
        raise ValueError(f"unknown audience {audience!r}")
    contacts = contacts or Contacts()
    if audience == "staff":
        sections = _staff_sections(protocol)
        summary = protocol.render(protocol.summary) if protocol.summary else None
    else:
        sections = _parent_sections(protocol, contacts)
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
        appendix=_appendix(protocol) if audience == "staff" else (),
        platforms=tuple(PLATFORM_NAMES[x] for x in protocol.platforms),
        retention_days=protocol.retention_days,
        contacts=contacts,
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
    if document.appendix:
        parts.append('<section class="appendix">')
        parts.append("<h2>Appendix: finding codes</h2>")
        parts.append("<p>The codes the API and the command line give for each finding.</p>")
        parts.append("<ul>")
        parts += [f"<li>{e(item.text)}</li>" for item in document.appendix]
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
    if document.appendix:
        heading = "Appendix: finding codes"
        out += ["", heading, "-" * len(heading)]
        out += [textwrap.fill(item.text, width, initial_indent="* ", subsequent_indent="  ")
                for item in document.appendix]  # fmt: skip
    return "\n".join(out) + "\n"


def render_pdf(document: Document) -> bytes:
    """The HTML rendering as PDF bytes (WeasyPrint; no network, no files)."""
    from weasyprint import HTML  # imported lazily: slow to import and only needed here

    pdf = HTML(string=render_html(document)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
