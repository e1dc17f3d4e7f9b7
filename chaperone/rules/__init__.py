"""Chaperone's protocol rule engine: pure, deterministic, Django-free.

Protocols are TOML data validated at load and compiled into predicate closures; ``decide`` judges a
contact request against one. See ``docs/subsystems/rules.md`` for the API and
``docs/protocol-format.md`` for the file format.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .conditions import Conditions
from .decision import Decision, Finding
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
from .protocol import Protocol, ProtocolError, Rule, Window
from .request import ContactRequest, RequestError, parse_request

if TYPE_CHECKING:
    from .diff import diff_protocols
    from .document import Contacts, Document, build_document, render_html, render_pdf, render_text
    from .overlay import ProtocolOverlay, apply_overlay
    from .schema import json_schema

#: Names imported on first use: deciding (``chaperone check``) needs none of their modules, and
#: a process that only decides starts sooner without them.
_LAZY = {
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
