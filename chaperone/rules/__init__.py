"""Chaperone's protocol rule engine: pure, deterministic, Django-free.

Protocols are TOML data validated at load and compiled into predicate closures; ``decide`` judges a
contact request against one. See ``docs/subsystems/rules.md`` for the API and
``docs/protocol-format.md`` for the file format.
"""

from __future__ import annotations

from .conditions import Conditions
from .decision import Decision, Finding
from .diff import diff_protocols
from .document import Contacts, Document, build_document, render_html, render_pdf, render_text
from .engine import decide
from .loading import (
    fragment_ids,
    load_overlay_text,
    load_protocol_file,
    load_protocol_text,
    load_template,
    resolve_protocol,
    template_ids,
)
from .overlay import ProtocolOverlay, apply_overlay
from .protocol import Protocol, ProtocolError, Rule, Window
from .request import ContactRequest, RequestError, parse_request
from .schema import json_schema

__all__ = [
    "Conditions",
    "ContactRequest",
    "Contacts",
    "Decision",
    "Document",
    "Finding",
    "Protocol",
    "ProtocolError",
    "ProtocolOverlay",
    "RequestError",
    "Rule",
    "Window",
    "apply_overlay",
    "build_document",
    "decide",
    "diff_protocols",
    "fragment_ids",
    "json_schema",
    "load_overlay_text",
    "load_protocol_file",
    "load_protocol_text",
    "load_template",
    "parse_request",
    "render_html",
    "render_pdf",
    "render_text",
    "resolve_protocol",
    "template_ids",
]
