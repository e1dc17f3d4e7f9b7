"""Chaperone's protocol rule engine: pure, deterministic, Django-free.

Protocols are TOML data validated at load and compiled into predicate closures; ``decide`` judges a
contact request against one. See ``docs/subsystems/rules.md`` for the API and
``docs/protocol-format.md`` for the file format.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conditions import Conditions
    from .decision import Decision, Finding
    from .diff import diff_protocols
    from .document import Contacts, Document, build_document, render_html, render_pdf, render_text
    from .engine import decide
    from .errors import ProtocolError, RequestError
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
    from .protocol import Protocol, Rule, Window
    from .request import ContactRequest, parse_request
    from .schema import json_schema

#: Every name is imported on first use: ``chaperone check`` decides shipped templates without
#: pydantic (:mod:`.snapshot`), and importing a submodule runs this file first.
_LAZY = {
    "Conditions": ".conditions",
    "Decision": ".decision",
    "Finding": ".decision",
    "decide": ".engine",
    "fragment_ids": ".loading",
    "load_overlay_text": ".loading",
    "load_protocol_file": ".loading",
    "load_protocol_text": ".loading",
    "load_template": ".loading",
    "resolve_protocol": ".loading",
    "template_ids": ".loading",
    "Protocol": ".protocol",
    "ProtocolError": ".errors",
    "Rule": ".protocol",
    "Window": ".protocol",
    "ContactRequest": ".request",
    "RequestError": ".errors",
    "parse_request": ".request",
    "diff_protocols": ".diff",
    "Contacts": ".document",
    "Document": ".document",
    "build_document": ".document",
    "render_html": ".document",
    "render_pdf": ".document",
    "render_text": ".document",
    "ProtocolOverlay": ".overlay",
    "apply_overlay": ".overlay",
    "json_schema": ".schema",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


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
