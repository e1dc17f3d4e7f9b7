"""The engine's two errors and the contract's error object, without any dependency.

Kept apart from the pydantic models (:mod:`.protocol`, :mod:`.request`, which re-export them) so
that ``chaperone check`` can name them, and catch them, before it imports pydantic at all.
"""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: str, field: str = "") -> dict[str, Any]:
    """The contract's error object: ``{"error": {"code": ..., "message": ..., "field": ...}}``."""
    return {"error": {"code": code, "message": message, "field": field}}


class RequestError(ValueError):
    """A request that cannot be decided. ``field`` is dotted (``pupils.0.age``) or empty."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.field)


class ProtocolError(ValueError):
    """A protocol (or overlay) that cannot be used; ``problems`` lists every reason found."""

    def __init__(
        self, problems: list[str], source: str = "", *, code: str = "invalid_protocol"
    ) -> None:
        self.problems = list(problems)
        self.source = source
        self.code = code
        head = f"{source}: " if source else ""
        super().__init__(head + "; ".join(self.problems))
