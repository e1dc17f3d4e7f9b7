"""Values typed into query strings that no form cleans: numbers and search terms.

``str.isdigit()`` is true for "²" and "٣", which ``int()`` refuses or reads as 3; a number that
does not fit the column makes the database raise; PostgreSQL refuses a NUL anywhere in a text
parameter. Views read such values through here, so a bad number is simply absent and a search
term holds no control characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: the largest primary key (a 64-bit signed column)
ID_MAX = 2**63 - 1

_ASCII_INT = re.compile(r"-?[0-9]{1,19}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


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


def text_param(raw: str | None, *, max_length: int = 100) -> str:
    """A search term: control characters (NUL, line breaks) become spaces, the ends are
    stripped, and at most ``max_length`` characters are kept."""
    return _CONTROL.sub(" ", raw or "").strip()[:max_length]
