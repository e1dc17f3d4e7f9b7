"""The switch the SQLite triggers consult before refusing to change audit rows.

On SQLite the triggers of migration 0002 call ``chaperone_audit_unlocked()``, a function this
module registers on every SQLite connection Django opens. It answers 1 only inside
:func:`audit_tables_unlocked`, which exists for one purpose: ``flush`` (used by the test runner to
empty a whole database). Outside Django, e.g. in the ``sqlite3`` shell, the function does not
exist, so the triggers fail closed. PostgreSQL needs none of this: ``flush`` there is a TRUNCATE,
which row triggers do not see.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SQLITE_FUNCTION = "chaperone_audit_unlocked"

_unlocked: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "chaperone_audit_unlocked", default=False
)


@contextmanager
def audit_tables_unlocked() -> Iterator[None]:
    token = _unlocked.set(True)
    try:
        yield
    finally:
        _unlocked.reset(token)


def _is_unlocked() -> int:
    return 1 if _unlocked.get() else 0


def register_sqlite_function(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: give SQLite connections the function the triggers call."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 0, _is_unlocked)
