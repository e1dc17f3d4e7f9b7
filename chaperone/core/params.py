"""Numbers typed into query strings and forms: ASCII digits only, within bounds.

``str.isdigit()`` is true for "²" and "٣", which ``int()`` refuses or reads as 3; a number that
does not fit the column makes the database raise. Every view reads numbers through here, so a
bad one is simply absent (the page then says what it ignored, or shows everyone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: the largest primary key (a 64-bit signed column)
ID_MAX = 2**63 - 1

_ASCII_INT = re.compile(r"-?[0-9]{1,19}")


def int_param(raw: str | None, *, minimum: int = 1, maximum: int = ID_MAX) -> int | None:
    """The integer ``raw`` spells in ASCII digits, if within [minimum, maximum]; else None."""
    if raw is None:
        return None
    text = raw.strip()
    if not _ASCII_INT.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def id_params(raws: Iterable[str]) -> list[int]:
    """The valid ids among ``raws`` (e.g. ``request.POST.getlist("version")``), in order."""
    return [value for raw in raws if (value := int_param(raw)) is not None]
