"""JSON Schemas for protocol files, overlays and requests (``chaperone protocols schema``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from .overlay import ProtocolOverlay
from .protocol import Protocol
from .request import ContactRequest

SchemaKind = Literal["protocol", "overlay", "request"]
_MODELS: dict[str, type[BaseModel]] = {
    "protocol": Protocol,
    "overlay": ProtocolOverlay,
    "request": ContactRequest,
}


def json_schema(kind: SchemaKind = "protocol") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a protocol file, an overlay file or a request."""
    schema = _MODELS[kind].model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://chaperone.invalid/schema/{kind}.json"
    return schema
