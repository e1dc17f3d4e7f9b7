"""The one error the planner raises for a request it cannot read."""

from __future__ import annotations

from typing import Any


class RotaInputError(ValueError):
    """Malformed planning input. ``field`` is a JSON path such as ``households[12].pupils[0].tier``
    (empty when the whole document is at fault)."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The contract's one-line error: ``{"error": {"code", "message", "field"}}``."""
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}
